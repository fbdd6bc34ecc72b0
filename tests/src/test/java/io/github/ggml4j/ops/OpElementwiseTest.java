package io.github.ggml4j.ops;

import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.testing.OpHarness;
import io.github.ggml4j.testing.ReferenceOps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

import static io.github.ggml4j.ops.OpAssert.NMSE_F32;
import static io.github.ggml4j.ops.OpAssert.assertThreads;

/**
 * ggml_add and ggml_mul with ggml's broadcasting, and ggml_rms_norm, in F32 against double references. All
 * are F32 in and out, so test-backend-ops' F32 bound (NMSE 1e-7) applies; rms_norm sums squares in double
 * inside ggml but takes 1/sqrt in float, which stays far below it.
 */
class OpElementwiseTest {

    private static final int[] A = {16, 6, 3, 2};

    /** b's shape: each dimension is a's or 1 (ggml repeats b along those). */
    private static final int[][] B_SHAPES = {
            {16, 6, 3, 2}, {16, 1, 1, 1}, {16, 6, 1, 1}, {16, 1, 3, 1}, {1, 6, 1, 2}, {1, 1, 1, 1}, {8, 3, 3, 1},
    };

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6})
    void addBroadcasts(int shape) {
        binary(shape, true);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6})
    void mulBroadcasts(int shape) {
        binary(shape, false);
    }

    private static void binary(int shape, boolean add) {
        int[] nb = B_SHAPES[shape];
        Random rnd = new Random(300 + shape);
        float[] a = Errors.gaussian(rnd, count(A), 1.0);
        float[] b = Errors.gaussian(rnd, count(nb), 1.0);
        double[] ref = ReferenceOps.broadcast(a, A, b, nb, add ? Double::sum : (x, y) -> x * y);
        try (OpHarness h = new OpHarness()) {
            MemorySegment at = h.f32(a, longs(A));
            MemorySegment bt = h.f32(b, longs(nb));
            MemorySegment out = add ? GgmlLib.ggml_add(h.ctx(), at, bt) : GgmlLib.ggml_mul(h.ctx(), at, bt);
            assertThreads(h, out, ref, NMSE_F32, (add ? "add" : "mul") + " b=" + Arrays.toString(nb));
        }
    }

    /** eps 1e-5 as in most models, and 0.01 on small inputs where it changes the result by about 30%. */
    @ParameterizedTest
    @ValueSource(floats = {1e-5f, 1e-2f})
    void rmsNorm(float eps) {
        Random rnd = new Random(400);
        int ne0 = 96;
        float[] x = Errors.gaussian(rnd, ne0 * 7 * 2, 0.1);
        double[] ref = ReferenceOps.rmsNorm(x, ne0, eps);
        try (OpHarness h = new OpHarness()) {
            MemorySegment xt = h.f32(x, ne0, 7, 2);
            MemorySegment out = GgmlLib.ggml_rms_norm(h.ctx(), xt, eps);
            assertThreads(h, out, ref, NMSE_F32, "rms_norm eps=" + eps);
        }
    }

    /** rms_norm followed by a per-channel weight, the way models use it (the CPU backend may fuse the two). */
    @Test
    void rmsNormTimesWeight() {
        Random rnd = new Random(401);
        int ne0 = 64;
        float[] x = Errors.gaussian(rnd, ne0 * 5, 2.0);
        float[] w = Errors.gaussian(rnd, ne0, 1.0);
        double[] normed = ReferenceOps.rmsNorm(x, ne0, 1e-6);
        double[] ref = new double[normed.length];
        for (int i = 0; i < ref.length; i++) {
            ref[i] = normed[i] * w[i % ne0];
        }
        try (OpHarness h = new OpHarness()) {
            MemorySegment xt = h.f32(x, ne0, 5);
            MemorySegment wt = h.f32(w, ne0);
            MemorySegment out = GgmlLib.ggml_mul(h.ctx(), GgmlLib.ggml_rms_norm(h.ctx(), xt, 1e-6f), wt);
            assertThreads(h, out, ref, NMSE_F32, "rms_norm * weight");
        }
    }

    private static int count(int[] ne) {
        int n = 1;
        for (int d : ne) {
            n *= d;
        }
        return n;
    }

    private static long[] longs(int[] ne) {
        return Arrays.stream(ne).asLongStream().toArray();
    }
}
