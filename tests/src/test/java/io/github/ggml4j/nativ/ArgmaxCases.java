package io.github.ggml4j.nativ;

import io.github.ggml4j.internal.ggml.GgmlLib;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

/**
 * Cases for libggml4j's greedy pick ({@code ggml4j_argmax_f32}) against the plain definition: every short length
 * with the maximum at every position (the vector loops' lanes and tails), ties across lanes, NaN and infinities
 * at every position, rows of only NaN and -inf, and vocabulary-sized random rows. Run here and, by
 * {@link ArgmaxChild}, in child JVMs that force its SSE2 and scalar paths.
 */
final class ArgmaxCases {

    private ArgmaxCases() {
    }

    /** The definition: the first index of the largest value, NaN never larger than anything. */
    static int firstMax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best] || Float.isNaN(x[best]) && !Float.isNaN(x[i])) {
                best = i;
            }
        }
        return best;
    }

    static int firstNonFinite(float[] x) {
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) {
                return i;
            }
        }
        return -1;
    }

    /** Null when every case agrees, else the first disagreement. */
    static String check() {
        Random random = new Random(5);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_LONG, 2);
            for (int n = 1; n <= 70; n++) {
                for (int at = 0; at < n; at++) {
                    float[] x = gaussian(random, n);
                    x[at] = 9f;
                    String e = compare(arena, out, x, "max at " + at);
                    if (e != null) {
                        return e;
                    }
                    x[n - 1 - (at * 7) % n] = 9f; // a tie (or the same cell)
                    if ((e = compare(arena, out, x, "tie with " + at)) != null) {
                        return e;
                    }
                    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                        float[] y = gaussian(random, n);
                        y[at] = bad;
                        if ((e = compare(arena, out, y, bad + " at " + at)) != null) {
                            return e;
                        }
                    }
                }
                float[] nans = new float[n];
                Arrays.fill(nans, Float.NaN);
                nans[n / 2] = Float.NEGATIVE_INFINITY;
                String e = compare(arena, out, nans, "NaN and -inf only");
                if (e != null) {
                    return e;
                }
            }
            for (int round = 0; round < 20; round++) {
                String e = compare(arena, out, gaussian(random, 32000 + round), "random row " + round);
                if (e != null) {
                    return e;
                }
            }
            float[] flat = new float[32000];
            String e = compare(arena, out, flat, "all equal");
            if (e != null) {
                return e;
            }
            int status = GgmlLib.ggml4j_argmax_f32(arena.allocate(4), 0, out, out.asSlice(8));
            if (status != GgmlLib.GGML4J_E_INVALID_ARG()) {
                return "an empty row gave status " + status;
            }
            status = GgmlLib.ggml4j_argmax_f32(MemorySegment.NULL, 8, out, out.asSlice(8));
            if (status != GgmlLib.GGML4J_E_INVALID_ARG()) {
                return "a null row gave status " + status;
            }
        }
        return null;
    }

    private static float[] gaussian(Random random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    private static String compare(Arena arena, MemorySegment out, float[] x, String what) {
        // an odd offset into a larger segment: the vector loops must not assume alignment
        MemorySegment row = arena.allocate(4L * x.length + 4, 32).asSlice(4, 4L * x.length);
        MemorySegment.copy(x, 0, row, ValueLayout.JAVA_FLOAT, 0, x.length);
        int status = GgmlLib.ggml4j_argmax_f32(row, x.length, out, out.asSlice(8));
        long index = out.get(ValueLayout.JAVA_LONG, 0);
        long bad = out.get(ValueLayout.JAVA_LONG, 8);
        int expectedBad = firstNonFinite(x);
        boolean allBroken = Arrays.equals(x, new float[0]) || firstMaxIsBroken(x);
        if (status != 0 || bad != expectedBad || !allBroken && index != firstMax(x)) {
            return String.format("n=%d, %s: status %d, index %d (expected %d), non-finite %d (expected %d)",
                    x.length, what, status, index, firstMax(x), bad, expectedBad);
        }
        return null;
    }

    /** A row whose largest value is not finite: the index then only has to be in range, the flag decides. */
    private static boolean firstMaxIsBroken(float[] x) {
        return !Float.isFinite(x[firstMax(x)]);
    }
}
