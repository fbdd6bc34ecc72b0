package io.github.ggml4j.testing;

import io.github.ggml4j.gguf.GgmlType;

/**
 * Plain-Java decoders for ggml's block formats, written from the layouts in ggml-common.h. They are an
 * independent check of how ggml lays quantized data out: op tests use them to build expected values, and a
 * test holds them bit-exact against ggml's own {@code to_float}.
 *
 * <p>Arithmetic is float, in the order the format defines (scale first, then the quant), so results are
 * reproducible to the bit; all multi-byte fields are little-endian.
 */
public final class JavaDequantizer {

    private JavaDequantizer() {
    }

    /** Whether {@link #dequantize} knows this type. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, Q8_0, Q4_0, Q4_K, Q6_K -> true;
            default -> false;
        };
    }

    /** Decodes {@code count} values of {@code type} stored in {@code data}. */
    public static float[] dequantize(GgmlType type, byte[] data, int count) {
        if (count % type.blockSize() != 0) {
            throw new IllegalArgumentException(count + " values are not whole " + type + " blocks");
        }
        long needed = type.rowSize(count);
        if (data.length < needed) {
            throw new IllegalArgumentException(type + " x " + count + " needs " + needed + " bytes, got " + data.length);
        }
        float[] out = new float[count];
        int blocks = count / type.blockSize();
        for (int b = 0; b < blocks; b++) {
            int src = b * type.typeSize();
            int dst = b * type.blockSize();
            switch (type) {
                case F32 -> out[dst] = Float.intBitsToFloat(i32(data, src));
                case F16 -> out[dst] = half(data, src);
                case Q8_0 -> q8_0(data, src, out, dst);
                case Q4_0 -> q4_0(data, src, out, dst);
                case Q4_K -> q4_K(data, src, out, dst);
                case Q6_K -> q6_K(data, src, out, dst);
                default -> throw new UnsupportedOperationException("no Java decoder for " + type);
            }
        }
        return out;
    }

    /** Q8_0: fp16 scale d, then 32 signed bytes; x = d * q. */
    private static void q8_0(byte[] b, int p, float[] y, int o) {
        float d = half(b, p);
        for (int j = 0; j < 32; j++) {
            y[o + j] = b[p + 2 + j] * d;
        }
    }

    /** Q4_0: fp16 scale d, then 16 bytes: low nibbles are elements 0..15, high nibbles 16..31; x = d * (q - 8). */
    private static void q4_0(byte[] b, int p, float[] y, int o) {
        float d = half(b, p);
        for (int j = 0; j < 16; j++) {
            int q = b[p + 2 + j] & 0xFF;
            y[o + j] = ((q & 0x0F) - 8) * d;
            y[o + j + 16] = ((q >>> 4) - 8) * d;
        }
    }

    /**
     * Q4_K super-block of 256: fp16 d, fp16 dmin, 12 bytes holding eight 6-bit (scale, min) pairs, 128 bytes of
     * nibbles. Each 64 elements share 32 bytes: low nibbles form sub-block 2k, high nibbles sub-block 2k+1;
     * x = (d * scale) * q - (dmin * min).
     */
    private static void q4_K(byte[] b, int p, float[] y, int o) {
        float d = half(b, p);
        float dmin = half(b, p + 2);
        int scales = p + 4;
        int qs = p + 16;
        for (int chunk = 0; chunk < 4; chunk++) {
            int sub = 2 * chunk;
            float d1 = d * scaleK4(b, scales, sub);
            float m1 = dmin * minK4(b, scales, sub);
            float d2 = d * scaleK4(b, scales, sub + 1);
            float m2 = dmin * minK4(b, scales, sub + 1);
            for (int l = 0; l < 32; l++) {
                int q = b[qs + 32 * chunk + l] & 0xFF;
                y[o + 64 * chunk + l] = d1 * (q & 0x0F) - m1;
                y[o + 64 * chunk + 32 + l] = d2 * (q >>> 4) - m2;
            }
        }
    }

    /**
     * The 12 scale bytes of Q4_K: sub-blocks 0-3 keep scale and min in the low 6 bits of bytes 0-3 and 4-7;
     * sub-blocks 4-7 take their low 4 bits from the nibbles of bytes 8-11 and their top 2 bits from the spare
     * high bits of bytes 0-3 (scale) and 4-7 (min).
     */
    private static int scaleK4(byte[] b, int s, int j) {
        if (j < 4) {
            return b[s + j] & 63;
        }
        return (b[s + j + 4] & 0x0F) | (((b[s + j - 4] & 0xFF) >>> 6) << 4);
    }

    private static int minK4(byte[] b, int s, int j) {
        if (j < 4) {
            return b[s + j + 4] & 63;
        }
        return ((b[s + j + 4] & 0xFF) >>> 4) | (((b[s + j] & 0xFF) >>> 6) << 4);
    }

    /**
     * Q6_K super-block of 256: 128 bytes of low nibbles (ql), 64 bytes of 2-bit high parts (qh), 16 signed
     * 8-bit scales (one per 16 elements), fp16 d; x = d * scale * (q - 32) with q 6 bits. Each half of 128
     * elements uses 64 ql bytes and 32 qh bytes: element l + 32*k takes the low or high nibble of ql[l] or
     * ql[l + 32] and bits 2k..2k+1 of qh[l].
     */
    private static void q6_K(byte[] b, int p, float[] y, int o) {
        float d = half(b, p + 208);
        for (int half = 0; half < 2; half++) {
            int ql = p + 64 * half;
            int qh = p + 128 + 32 * half;
            int sc = p + 192 + 8 * half;
            int base = o + 128 * half;
            for (int l = 0; l < 32; l++) {
                int low0 = b[ql + l] & 0xFF;
                int low1 = b[ql + l + 32] & 0xFF;
                int high = b[qh + l] & 0xFF;
                int q1 = ((low0 & 0x0F) | ((high & 3) << 4)) - 32;
                int q2 = ((low1 & 0x0F) | (((high >>> 2) & 3) << 4)) - 32;
                int q3 = ((low0 >>> 4) | (((high >>> 4) & 3) << 4)) - 32;
                int q4 = ((low1 >>> 4) | (((high >>> 6) & 3) << 4)) - 32;
                int is = l / 16;
                y[base + l] = d * b[sc + is] * q1;
                y[base + l + 32] = d * b[sc + is + 2] * q2;
                y[base + l + 64] = d * b[sc + is + 4] * q3;
                y[base + l + 96] = d * b[sc + is + 6] * q4;
            }
        }
    }

    /** An IEEE half at {@code p}, little-endian. */
    public static float half(byte[] b, int p) {
        return Float.float16ToFloat((short) ((b[p] & 0xFF) | (b[p + 1] << 8)));
    }

    private static int i32(byte[] b, int p) {
        return (b[p] & 0xFF) | (b[p + 1] & 0xFF) << 8 | (b[p + 2] & 0xFF) << 16 | (b[p + 3] & 0xFF) << 24;
    }
}
