package io.github.ggml4j.ops;

import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.testing.OpHarness;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Assertions shared by the op tests. */
final class OpAssert {

    /** test-backend-ops' default bound for F32 ops. */
    static final double NMSE_F32 = 1e-7;

    private OpAssert() {
    }

    static void assertNmse(double[] ref, float[] out, double max, String what) {
        double e = Errors.nmse(ref, out);
        assertTrue(e <= max, () -> what + ": NMSE " + e + " > " + max + "; " + Errors.worst(ref, out));
    }

    /**
     * Computes {@code out} through ggml's CPU threadpool with 1 and with 2 threads: each result must be within
     * {@code max} of the reference, and the two within {@code max} of each other. Returns the 1-thread result.
     */
    static float[] assertThreads(OpHarness h, MemorySegment out, double[] ref, double max, String what) {
        float[] one = h.compute(out, 1);
        float[] two = h.compute(out, 2);
        assertNmse(ref, one, max, what + " (1 thread)");
        assertNmse(ref, two, max, what + " (2 threads)");
        assertNmse(Errors.toDouble(one), two, max, what + " (1 vs 2 threads)");
        return one;
    }
}
