package io.github.ggml4j.ops;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.testing.OpHarness;
import io.github.ggml4j.testing.ReferenceOps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static io.github.ggml4j.ops.OpAssert.NMSE_F32;
import static io.github.ggml4j.ops.OpAssert.assertThreads;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * ggml_soft_max_ext(a, mask, scale, 0) with a causal mask, as attention uses it: scores [nKv, nQ, nHead],
 * mask [nKv, rows] with rows >= nQ, F32 or F16 (the CPU backend takes both). Values are F32 throughout and the
 * mask holds only 0 and -inf, exact in F16, so the F32 bound (NMSE 1e-7) applies to both mask types.
 */
class OpSoftMaxTest {

    private static final int N_KV = 40;
    private static final int N_Q = 9;
    private static final int N_HEAD = 3;

    @ParameterizedTest(name = "mask {0}, {1} padding rows, scale {2}")
    @CsvSource({"F32, 0, 0.125", "F16, 0, 0.125", "F32, 3, 1.0", "F16, 7, 0.35"})
    void causalMaskAndScale(GgmlType maskType, int padRows, float scale) {
        Random rnd = new Random(500 + padRows);
        float[] a = Errors.gaussian(rnd, N_KV * N_Q * N_HEAD, 4.0);
        int rows = N_Q + padRows;
        // the last nQ of nKv positions; padding rows (ggml ignores them) get random junk
        float[] mask = new float[N_KV * rows];
        System.arraycopy(ReferenceOps.causalMask(N_KV, N_Q), 0, mask, 0, N_KV * N_Q);
        for (int i = N_KV * N_Q; i < mask.length; i++) {
            mask[i] = (float) rnd.nextGaussian();
        }
        double[] ref = ReferenceOps.softMax(a, N_KV, N_Q, mask, scale);
        try (OpHarness h = new OpHarness()) {
            MemorySegment at = h.f32(a, N_KV, N_Q, N_HEAD);
            MemorySegment mt = maskType == GgmlType.F16 ? h.f16(mask, N_KV, rows) : h.f32(mask, N_KV, rows);
            MemorySegment out = GgmlLib.ggml_soft_max_ext(h.ctx(), at, mt, scale, 0f);
            float[] y = assertThreads(h, out, ref, NMSE_F32, "soft_max_ext mask " + maskType + " scale " + scale);
            // causality: the first query sees only the first nKv - nQ + 1 positions
            assertEquals(0f, y[N_KV - N_Q + 1], "masked position got weight");
        }
    }

    @Test
    void noMask() {
        Random rnd = new Random(501);
        float[] a = Errors.gaussian(rnd, 33 * 4, 3.0);
        double[] ref = ReferenceOps.softMax(a, 33, 4, null, 0.5);
        try (OpHarness h = new OpHarness()) {
            MemorySegment at = h.f32(a, 33, 4);
            MemorySegment out = GgmlLib.ggml_soft_max_ext(h.ctx(), at, MemorySegment.NULL, 0.5f, 0f);
            assertThreads(h, out, ref, NMSE_F32, "soft_max_ext without mask");
        }
    }
}
