package io.github.ggml4j.ops;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.quantize.TensorQuantizer;
import io.github.ggml4j.testing.ActivationQuantizer;
import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.testing.JavaDequantizer;
import io.github.ggml4j.testing.OpHarness;
import io.github.ggml4j.testing.ReferenceOps;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static io.github.ggml4j.ops.OpAssert.assertNmse;
import static io.github.ggml4j.ops.OpAssert.assertThreads;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ggml_mul_mat on the CPU backend for each weight type, against weights decoded by {@link JavaDequantizer}
 * and multiplied in double.
 *
 * <p>Two references per type. The exact one rounds the activations the way the x86 kernel does (to the
 * weight type's vec_dot_type: F16, Q8_0 or Q8_K; see {@link ActivationQuantizer}); what is left is float
 * summation order, measured at 1e-14 to 7e-14, so its bound is 1e-9: tighter than test-backend-ops' F32 1e-7,
 * because leaving out the F16 rounding of activations costs only 5e-8 here and must still fail. The plain
 * reference multiplies by the float activations, as a model author would expect; its bound is set by the
 * activation rounding alone.
 */
class OpMulMatTest {

    private static final int K = 512; // two K-quant super-blocks, sixteen 32-blocks per row
    private static final int M = 24;  // weight rows: enough for the 2-thread run to split them
    private static final int N = 5;   // activation columns (tokens)

    /** Against activations rounded like the kernel: only summation order differs (see the class comment). */
    static final double NMSE_KERNEL_ROUNDED = 1e-9;

    /**
     * NMSE bound against float activations. F16 rounding is relative 2^-11 at most (rms ~2.8e-4, so
     * NMSE ~1e-7; measured 5e-8): 1e-6. Q8_0 blocks of 32 Gaussian values have max |x| ~2.2, step max/127,
     * rounding rms step/sqrt(12) ~0.005, NMSE ~2.5e-5; Q8_K (blocks of 256, max ~2.8) ~4e-5 (measured 4e-5
     * to 7e-5): both well under test-backend-ops' mul_mat bound 5e-4, which we use. Layout errors give NMSE
     * near 1 or above.
     */
    private static double floatActivationBound(GgmlType t) {
        return switch (ActivationQuantizer.vecDotType(t)) {
            case F32 -> OpAssert.NMSE_F32;
            case F16 -> 1e-6;
            default -> 5e-4;
        };
    }

    /**
     * How far ggml's own quantization may move the weights (NMSE of decoded vs original): a sanity check that
     * the Java decoder reads the right fields, about 3x over what each format gives on this data (measured:
     * F16 4e-8, Q8_0 3e-5, Q6_K 3e-4, Q4_K 5e-3, Q4_0 7e-3).
     */
    private static double weightBound(GgmlType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1e-7;
            case Q8_0 -> 1e-4;
            case Q6_K -> 1e-3;
            case Q4_K, Q4_0 -> 2e-2;
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void mulMatMatchesJavaReference(GgmlType type) {
        Random rnd = new Random(1000 + type.id());
        float[] w = weights(rnd);
        float[] x = Errors.gaussian(rnd, K * N, 1.0);
        byte[] stored = TensorQuantizer.quantize(type, w, M, K);
        float[] wDec = JavaDequantizer.dequantize(type, stored, M * K);
        assertNmse(Errors.toDouble(w), wDec, weightBound(type), type + " weights decoded in Java vs original");

        float[] xKernel = ActivationQuantizer.roundTrip(ActivationQuantizer.vecDotType(type), x, K);
        double[] exact = ReferenceOps.mulMat(wDec, xKernel, K, M, N);
        double[] plain = ReferenceOps.mulMat(wDec, x, K, M, N);

        try (OpHarness h = new OpHarness()) {
            MemorySegment wt = h.raw(type, stored, K, M);
            MemorySegment xt = h.f32(x, K, N);
            MemorySegment out = GgmlLib.ggml_mul_mat(h.ctx(), wt, xt);
            float[] y = assertThreads(h, out, exact, NMSE_KERNEL_ROUNDED,
                    "mul_mat " + type + " vs kernel-rounded activations");
            assertNmse(plain, y, floatActivationBound(type), "mul_mat " + type + " vs float activations");
        }
    }

    /** The Java decoders must agree with ggml's own to_float to the bit. */
    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void javaDequantizerIsBitExact(GgmlType type) {
        Random rnd = new Random(2000 + type.id());
        int rows = 6;
        float[] w = weights(rnd, rows);
        // edge cases for scales and mins: a zero, an all-zero row, an outlier, one-signed rows with an offset
        w[3] = 0;
        for (int i = 0; i < K; i++) {
            w[K + i] = -Math.abs(w[K + i]) - 0.5f;
            w[2 * K + i] = 0;
            w[5 * K + i] = Math.abs(w[5 * K + i]) + 2f;
        }
        w[4 * K + 17] = 40f;
        byte[] stored = TensorQuantizer.quantize(type, w, rows, K);
        float[] mine = JavaDequantizer.dequantize(type, stored, rows * K);
        float[] ggml = TensorQuantizer.dequantize(type, stored, rows * K);
        assertArrayEquals(bits(ggml), bits(mine), type + ": Java decoder differs from ggml's to_float");
        assertTrue(Errors.nmse(w, mine) < 1, "decoded weights bear no resemblance to the input");
    }

    /** Rows of Gaussian weights with per-row scales over two orders of magnitude. */
    private static float[] weights(Random rnd) {
        return weights(rnd, M);
    }

    private static float[] weights(Random rnd, int rows) {
        float[] w = new float[rows * K];
        for (int r = 0; r < rows; r++) {
            double scale = Math.pow(10, rnd.nextDouble() * 2 - 1);
            for (int i = 0; i < K; i++) {
                w[r * K + i] = (float) (rnd.nextGaussian() * scale);
            }
        }
        return w;
    }

    private static int[] bits(float[] x) {
        int[] b = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            b[i] = Float.floatToRawIntBits(x[i]);
        }
        return b;
    }
}
