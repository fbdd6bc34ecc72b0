package io.github.ggml4j.ops;

import io.github.ggml4j.NativeException;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.quantize.TensorQuantizer;
import io.github.ggml4j.testing.ActivationQuantizer;
import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.testing.JavaDequantizer;
import io.github.ggml4j.testing.OpHarness;
import io.github.ggml4j.testing.ReferenceOps;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

import static io.github.ggml4j.ops.OpAssert.assertNmse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The CPU backend's thread count, set through {@code ggml4j_backend_set_n_threads}, reaches ggml's
 * threadpool. (Every op test also runs its graph with 1 and 2 threads.)
 */
class OpThreadsTest {

    /** mul_mat splits output rows between threads; each dot product is the same, so results are bit-equal. */
    @Test
    void mulMatIsIdenticalForOneAndTwoThreads() {
        int k = 256;
        int m = 128;
        int n = 8;
        Random rnd = new Random(900);
        float[] w = Errors.gaussian(rnd, k * m, 0.5);
        float[] x = Errors.gaussian(rnd, k * n, 1.0);
        byte[] q = TensorQuantizer.quantize(GgmlType.Q4_K, w, m, k);
        double[] ref = ReferenceOps.mulMat(JavaDequantizer.dequantize(GgmlType.Q4_K, q, k * m),
                ActivationQuantizer.roundTrip(GgmlType.Q8_K, x, k), k, m, n);
        try (OpHarness h = new OpHarness()) {
            MemorySegment out = GgmlLib.ggml_mul_mat(h.ctx(), h.raw(GgmlType.Q4_K, q, k, m), h.f32(x, k, n));
            float[] one = h.compute(out, 1);
            float[] two = h.compute(out, 2);
            float[] twoAgain = h.compute(out, 2);
            assertNmse(ref, one, OpMulMatTest.NMSE_KERNEL_ROUNDED, "mul_mat Q4_K, 1 thread");
            assertArrayEquals(one, two, "1 vs 2 threads");
            assertArrayEquals(two, twoAgain, "2 threads, run twice");
        }
    }

    /**
     * With one query and 512+ KV positions, flash_attn_ext gives each thread its own slice of the KV cache
     * and merges partial softmax sums, so a second worker shows in the low bits of the result: proof that
     * two threads really ran. Both results stay within the flash-attention bound.
     */
    @Test
    void secondThreadTakesPartOfDecodeAttention() {
        int d = 64;
        int nKv = 640;
        Random rnd = new Random(901);
        float[] q = Errors.gaussian(rnd, d * 2, 1.0);
        float[] k = Errors.roundToHalf(Errors.gaussian(rnd, d * nKv, 1.0));
        float[] v = Errors.roundToHalf(Errors.gaussian(rnd, d * nKv, 1.0));
        float[] mask = new float[nKv];
        float scale = 0.125f;
        double[] ref = ReferenceOps.attention(q, k, v, mask, d, d, 1, 2, nKv, 1, scale);
        try (OpHarness h = new OpHarness()) {
            MemorySegment out = GgmlLib.ggml_flash_attn_ext(h.ctx(), h.f32(q, d, 1, 2), h.f16(k, d, nKv, 1),
                    h.f16(v, d, nKv, 1), h.f16(mask, nKv, 1), scale, 0f, 0f);
            float[] one = h.compute(out, 1);
            float[] two = h.compute(out, 2);
            assertNmse(ref, one, 5e-4, "decode attention, 1 thread");
            assertNmse(ref, two, 5e-4, "decode attention, 2 threads");
            assertFalse(Arrays.equals(one, two), "2 threads gave the 1-thread result bit for bit: no second worker?");
        }
    }

    @Test
    void invalidThreadCountsAreRefused() {
        try (OpHarness h = new OpHarness()) {
            MemorySegment out = GgmlLib.ggml_add(h.ctx(), h.f32(new float[] {1, 2}, 2), h.f32(new float[] {3, 4}, 2));
            assertArrayEquals(new float[] {4, 6}, h.compute(out, 1));
            assertThrows(NativeException.class, () -> h.compute(out, 0));
            assertThrows(NativeException.class, () -> h.compute(out, -3));
        }
    }
}
