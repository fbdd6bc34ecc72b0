package io.github.ggml4j.memory;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cell bookkeeping of the unified KV cache, in plain Java. */
class CellsTest {

    static Cells withSequence(int size, int seq, int n) {
        Cells c = new Cells(size);
        int[] free = c.free(n);
        for (int i = 0; i < n; i++) {
            c.assign(free[i], i, seq);
        }
        return c;
    }

    @Test
    void placesInTheLowestFreeCellsAndRefusesWhenFull() {
        Cells c = withSequence(8, 0, 3);
        assertArrayEquals(new int[] {3, 4}, c.free(2));
        c.release(1);
        assertArrayEquals(new int[] {1, 3}, c.free(2));
        assertNull(c.free(7), "only 6 are free");
        assertThrows(IllegalStateException.class, () -> c.assign(0, 9, 1), "cell 0 is taken");
        assertEquals(3, c.top());
    }

    @Test
    void aForkSharesCellsAndARemovalFreesOnlyUnsharedOnes() {
        Cells c = withSequence(16, 0, 5);
        c.copy(0, 1, 0, -1);
        assertEquals(5, c.used(), "a fork copies nothing");
        assertEquals(5, c.nextPosition(1));
        c.removeRange(0, 2, -1);
        assertEquals(2, c.nextPosition(0));
        assertEquals(5, c.nextPosition(1), "the fork keeps its positions");
        assertEquals(5, c.used(), "cells seen by the fork stay");
        c.removeRange(1, 0, -1);
        assertEquals(2, c.used(), "now only sequence 0's two cells are left");
        assertEquals(0, c.nextPosition(1));
    }

    @Test
    void sequencesNeverSeeEachOthersCells() {
        Cells c = withSequence(16, 0, 3);
        int[] free = c.free(2);
        c.assign(free[0], 0, 7);
        c.assign(free[1], 1, 7);
        int[] seen = new int[8];
        c.visibleTo(7, 8, seen);
        assertArrayEquals(new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, 0, 1,
                Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE}, seen);
        assertArrayEquals(new int[] {3, 4}, c.cellsOf(7));
        assertTrue(c.sees(0, 0));
        assertFalse(c.sees(0, 7));
    }

    @Test
    void keepOnlyAndClear() {
        Cells c = withSequence(16, 0, 3);
        c.copy(0, 2, 1, 2);
        int[] free = c.free(1);
        c.assign(free[0], 0, 5);
        c.keepOnly(2);
        assertEquals(1, c.used(), "only the cell sequence 2 sees is kept");
        assertFalse(c.sees(1, 0), "and only for sequence 2");
        assertTrue(c.sees(1, 2));
        c.clear();
        assertEquals(0, c.used());
        assertEquals(0, c.top());
    }
}
