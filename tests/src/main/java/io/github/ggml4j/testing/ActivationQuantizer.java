package io.github.ggml4j.testing;

import io.github.ggml4j.gguf.GgmlType;

/**
 * What ggml's CPU mul_mat does to the activations before the dot products: it converts them to the weight
 * type's {@code vec_dot_type} (F16 for F16 weights, Q8_0 for Q4_0/Q8_0, Q8_K for the K-quants). This class
 * redoes that rounding in plain Java and returns the values the kernel effectively multiplies with, so a
 * reference can be exact up to float summation order.
 *
 * <p>Written from the formats, not copied: Q8_0 takes the block's largest magnitude m, scale m/127 stored as
 * fp16, quants round(x * 127/m) to nearest even (the x86 kernel's rounding); Q8_K takes the block of 256's
 * largest-magnitude element v, quants round(x * -127/v) capped at 127, scale 1/(-127/v) kept as float.
 */
public final class ActivationQuantizer {

    private ActivationQuantizer() {
    }

    /** The type the CPU kernel converts F32 activations to for weights of {@code weightType}. */
    public static GgmlType vecDotType(GgmlType weightType) {
        return switch (weightType) {
            case F32 -> GgmlType.F32;
            case F16 -> GgmlType.F16;
            case Q4_0, Q8_0 -> GgmlType.Q8_0;
            case Q4_K, Q6_K -> GgmlType.Q8_K;
            default -> throw new UnsupportedOperationException("no activation model for " + weightType);
        };
    }

    /** Rounds {@code x} (rows of {@code rowLength}) the way the kernel does for {@code vecDotType}. */
    public static float[] roundTrip(GgmlType vecDotType, float[] x, int rowLength) {
        if (x.length % rowLength != 0 || rowLength % vecDotType.blockSize() != 0) {
            throw new IllegalArgumentException("rows of " + rowLength + " do not fit " + vecDotType);
        }
        float[] y = new float[x.length];
        switch (vecDotType) {
            case F32 -> System.arraycopy(x, 0, y, 0, x.length);
            case F16 -> {
                for (int i = 0; i < x.length; i++) {
                    y[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < x.length; b += 32) {
                    q8_0(x, y, b);
                }
            }
            case Q8_K -> {
                for (int b = 0; b < x.length; b += 256) {
                    q8_K(x, y, b);
                }
            }
            default -> throw new UnsupportedOperationException("no activation model for " + vecDotType);
        }
        return y;
    }

    private static void q8_0(float[] x, float[] y, int o) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[o + j]));
        }
        float d = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
        float id = amax != 0 ? 127f / amax : 0f;
        for (int j = 0; j < 32; j++) {
            y[o + j] = (float) Math.rint(x[o + j] * id) * d;
        }
    }

    private static void q8_K(float[] x, float[] y, int o) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < 256; j++) {
            float ax = Math.abs(x[o + j]);
            if (ax > amax) {
                amax = ax;
                max = x[o + j];
            }
        }
        if (amax == 0) {
            return; // all zero: y already is
        }
        float iscale = -127f / max;
        float d = 1 / iscale;
        for (int j = 0; j < 256; j++) {
            int q = (int) Math.min(127, Math.rint(iscale * x[o + j]));
            y[o + j] = d * q;
        }
    }
}
