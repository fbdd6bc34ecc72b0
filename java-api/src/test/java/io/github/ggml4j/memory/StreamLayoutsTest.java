package io.github.ggml4j.memory;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How a streamed cache groups a step's streams for attention: one range for single tokens, runs for prompts. */
class StreamLayoutsTest {

    private static final int STREAMS = 32;

    private static List<StreamLayouts.Group> groups(int[] need) {
        Cells[] cells = new Cells[STREAMS];
        for (int s = 0; s < STREAMS; s++) {
            cells[s] = new Cells(256);
        }
        return new StreamLayouts(STREAMS, 256).groups(need, cells);
    }

    /** Every stream with tokens is in exactly one group of its count; the rows computed are counted. */
    private static int checkCover(int[] need, List<StreamLayouts.Group> groups) {
        int rows = 0;
        for (int s = 0; s < STREAMS; s++) {
            int covering = 0;
            for (StreamLayouts.Group g : groups) {
                if (s >= g.first() && s < g.first() + g.streams() && g.perStream() == need[s]) {
                    covering++;
                }
            }
            assertEquals(need[s] > 0 ? 1 : 0, covering, "stream " + s + " (" + need[s] + " tokens) in " + groups);
        }
        for (StreamLayouts.Group g : groups) {
            rows += g.rows();
        }
        return rows;
    }

    @Test
    void singleTokensMakeOneRangeAndSpreadPromptsMakeRunsWithoutDummies() {
        int[] need = new int[STREAMS];
        for (int s = 0; s < STREAMS; s++) {
            need[s] = 1;
        }
        for (int s : new int[] {3, 9, 17, 25, 29}) {
            need[s] = 22;
        }
        need[10] = 22; // adjacent to 9: one run of two
        need[30] = 0;
        List<StreamLayouts.Group> g = groups(need);
        int rows = checkCover(need, g);
        assertEquals(1, g.stream().filter(x -> x.perStream() == 1).count(), g::toString);
        assertEquals(5, g.stream().filter(x -> x.perStream() == 22).count(), g::toString);
        // 32 single-token rows (dummies for the prompts' streams and the idle one) + 6 prompts of 22, no more
        assertEquals(32 + 6 * 22, rows, g::toString);
    }

    @Test
    void beyondTheRunLimitTheClosestRunsJoin() {
        int[] need = new int[STREAMS];
        for (int s = 0; s < STREAMS; s += 2) {
            need[s] = 4; // 16 runs of one stream, each a gap of one apart
        }
        need[1] = 1;
        List<StreamLayouts.Group> g = groups(need);
        checkCover(need, g);
        assertEquals(StreamLayouts.MAX_RUNS, g.size(), g::toString);
    }

    @Test
    void tooManyCountsFallBackToOneGroupAtTheLargest() {
        int[] need = new int[STREAMS];
        for (int s = 0; s < 8; s++) {
            need[s] = s + 1; // 8 distinct counts > MAX_GROUPS
        }
        List<StreamLayouts.Group> g = groups(need);
        assertEquals(List.of(new StreamLayouts.Group(8, 0, 8, 256)), g);
    }
}
