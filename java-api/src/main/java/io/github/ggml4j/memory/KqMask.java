package io.github.ggml4j.memory;

/**
 * One row of the attention mask, from the positions of the cells a token's sequence sees: 0 where the token may
 * look at a cell (its sequence's, not later when causal, within the sliding window), -inf elsewhere; with ALiBi
 * {@code -|p_token - p_cell|} instead of 0, which the soft-max scales by each head's slope. F16 for flash
 * attention, F32 for the soft-max.
 */
final class KqMask {

    static final short F16_NEG_INF = (short) 0xFC00;

    private KqMask() {
    }

    /**
     * @param seenPos the position of each cell the sequence sees, {@link Integer#MAX_VALUE} where it sees none
     * @param window  sliding window (a token sees positions (p - window, p]), 0 for none
     */
    static void row16(short[] row, int[] seenPos, int n, int pos, boolean causal, int window, boolean alibi) {
        int limit = causal ? pos : Integer.MAX_VALUE - 1;
        int low = window > 0 ? pos - window : Integer.MIN_VALUE;
        for (int j = 0; j < n; j++) {
            row[j] = seenPos[j] <= limit && seenPos[j] > low
                    ? (alibi ? Float.floatToFloat16(-Math.abs(seenPos[j] - pos)) : 0) : F16_NEG_INF;
        }
    }

    /** As {@link #row16}, in F32. */
    static void row32(float[] row, int[] seenPos, int n, int pos, boolean causal, int window, boolean alibi) {
        int limit = causal ? pos : Integer.MAX_VALUE - 1;
        int low = window > 0 ? pos - window : Integer.MIN_VALUE;
        for (int j = 0; j < n; j++) {
            row[j] = seenPos[j] <= limit && seenPos[j] > low
                    ? (alibi ? -Math.abs(seenPos[j] - pos) : 0f) : Float.NEGATIVE_INFINITY;
        }
    }
}
