package io.github.ggml4j.memory;

import java.util.Arrays;
import java.util.BitSet;

/**
 * The bookkeeping of a cell-based cache, free of native memory: for each cell its position (or -1 when free)
 * and the set of sequences that see it. Sequence operations are set operations here; the cache's tensors are
 * never touched by them (a fork shares cells, a removal only forgets them).
 */
final class Cells {

    private final int[] pos;
    private final BitSet[] seqs;
    private int used;

    Cells(int size) {
        pos = new int[size];
        Arrays.fill(pos, -1);
        seqs = new BitSet[size];
    }

    int size() {
        return pos.length;
    }

    int used() {
        return used;
    }

    int position(int cell) {
        return pos[cell];
    }

    boolean sees(int cell, int seq) {
        BitSet s = seqs[cell];
        return s != null && s.get(seq);
    }

    /** 1 + the largest position {@code seq} holds, 0 when none. */
    int nextPosition(int seq) {
        int max = -1;
        for (int j = 0; j < pos.length; j++) {
            if (pos[j] > max && sees(j, seq)) {
                max = pos[j];
            }
        }
        return max + 1;
    }

    /** The cells {@code seq} sees, ordered by position. */
    int[] cellsOf(int seq) {
        return java.util.stream.IntStream.range(0, pos.length).filter(j -> sees(j, seq)).boxed()
                .sorted((a, b) -> Integer.compare(pos[a], pos[b])).mapToInt(Integer::intValue).toArray();
    }

    /** The lowest {@code n} free cells, or null when fewer are free. */
    int[] free(int n) {
        if (n > pos.length - used) {
            return null;
        }
        int[] cells = new int[n];
        int found = 0;
        for (int j = 0; j < pos.length && found < n; j++) {
            if (pos[j] < 0) {
                cells[found++] = j;
            }
        }
        return cells;
    }

    /** Gives a free cell to one sequence at a position. */
    void assign(int cell, int position, int seq) {
        if (pos[cell] >= 0) {
            throw new IllegalStateException("cell " + cell + " is in use");
        }
        pos[cell] = position;
        BitSet s = new BitSet();
        s.set(seq);
        seqs[cell] = s;
        used++;
    }

    void release(int cell) {
        if (pos[cell] >= 0) {
            pos[cell] = -1;
            seqs[cell] = null;
            used--;
        }
    }

    /** One past the highest cell in use, 0 when none. */
    int top() {
        int top = pos.length - 1;
        while (top >= 0 && pos[top] < 0) {
            top--;
        }
        return top + 1;
    }

    void removeRange(int seq, int from, int to) {
        int end = to < 0 ? Integer.MAX_VALUE : to;
        for (int j = 0; j < pos.length; j++) {
            if (sees(j, seq) && pos[j] >= from && pos[j] < end) {
                seqs[j].clear(seq);
                if (seqs[j].isEmpty()) {
                    release(j);
                }
            }
        }
    }

    void copy(int src, int dst, int from, int to) {
        int end = to < 0 ? Integer.MAX_VALUE : to;
        for (int j = 0; j < pos.length; j++) {
            if (sees(j, src) && pos[j] >= from && pos[j] < end) {
                seqs[j].set(dst);
            }
        }
    }

    void keepOnly(int seq) {
        for (int j = 0; j < pos.length; j++) {
            if (pos[j] < 0) {
                continue;
            }
            if (sees(j, seq)) {
                seqs[j].clear();
                seqs[j].set(seq);
            } else {
                release(j);
            }
        }
    }

    void clear() {
        Arrays.fill(pos, -1);
        Arrays.fill(seqs, null);
        used = 0;
    }

    /**
     * For one sequence, the position of each of the first {@code n} cells it sees, {@link Integer#MAX_VALUE}
     * where it sees none: a token at position p of it may attend to cell j when {@code out[j] <= p}.
     */
    void visibleTo(int seq, int n, int[] out) {
        for (int j = 0; j < n; j++) {
            out[j] = sees(j, seq) ? pos[j] : Integer.MAX_VALUE;
        }
    }
}
