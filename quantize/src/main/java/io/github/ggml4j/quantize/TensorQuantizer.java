package io.github.ggml4j.quantize;

import io.github.ggml4j.NativeException;
import io.github.ggml4j.QuantizeException;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.nativ.NativeLoader;
import io.github.ggml4j.nativ.NativeStatus;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * Converts rows of floats into ggml's storage types with ggml's own quantization routines, and back.
 *
 * {@snippet :
 * float[] weights = new float[4 * 256];            // 4 rows of 256
 * byte[] q4k = TensorQuantizer.quantize(GgmlType.Q4_K, weights, 4, 256);
 * float[] back = TensorQuantizer.dequantize(GgmlType.Q4_K, q4k, weights.length);
 * }
 */
public final class TensorQuantizer {

    private static final Set<GgmlType> QUANTIZABLE = EnumSet.of(
            GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q1_0, GgmlType.Q2_0,
            GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.MXFP4, GgmlType.NVFP4,
            GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.TQ1_0, GgmlType.TQ2_0,
            GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ3_XXS, GgmlType.IQ3_S, GgmlType.IQ2_S, GgmlType.IQ1_S,
            GgmlType.IQ1_M, GgmlType.IQ4_NL, GgmlType.IQ4_XS);

    private static final Set<GgmlType> NEEDS_IMPORTANCE = EnumSet.of(GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ1_S);

    private TensorQuantizer() {
    }

    /** Whether ggml can produce this type from floats. */
    public static boolean canQuantize(GgmlType type) {
        return QUANTIZABLE.contains(type);
    }

    /** Whether this type needs an importance matrix to be quantized. */
    public static boolean needsImportance(GgmlType type) {
        return NEEDS_IMPORTANCE.contains(type);
    }

    /** Quantizes {@code rows} rows of {@code rowLength} floats without an importance matrix. */
    public static byte[] quantize(GgmlType type, float[] data, int rows, int rowLength) {
        return quantize(type, data, rows, rowLength, null);
    }

    /**
     * Quantizes {@code rows} rows of {@code rowLength} floats.
     *
     * @param importance per-column importance ({@code rowLength} values), or null
     * @throws QuantizeException for a type ggml cannot produce, a row length that is not a whole number of
     *                           blocks, a missing importance matrix where the type needs one
     */
    public static byte[] quantize(GgmlType type, float[] data, int rows, int rowLength, float[] importance) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        if (!canQuantize(type)) {
            throw new QuantizeException("ggml cannot quantize to " + type);
        }
        if (rows < 0 || rowLength <= 0 || (long) rows * rowLength != data.length) {
            throw new QuantizeException(rows + " rows of " + rowLength + " do not match " + data.length + " values");
        }
        if (rowLength % type.blockSize() != 0) {
            throw new QuantizeException("row length " + rowLength + " is not a multiple of " + type + "'s block size "
                    + type.blockSize());
        }
        if (needsImportance(type) && importance == null) {
            throw new QuantizeException(type + " needs an importance matrix");
        }
        if (importance != null && importance.length != rowLength) {
            throw new QuantizeException("importance has " + importance.length + " values, expected " + rowLength);
        }
        long outSize = Math.multiplyExact(type.rowSize(rowLength), (long) rows);
        if (outSize > Integer.MAX_VALUE - 16) {
            throw new QuantizeException("quantized size " + outSize + " does not fit a byte[]; quantize in chunks of rows");
        }
        NativeLoader.ensureLoaded();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocateFrom(ValueLayout.JAVA_FLOAT, data);
            MemorySegment dst = arena.allocate(Math.max(1, outSize), 64);
            MemorySegment imatrix = importance == null ? MemorySegment.NULL
                    : arena.allocateFrom(ValueLayout.JAVA_FLOAT, importance);
            MemorySegment written = arena.allocate(ValueLayout.JAVA_LONG);
            int st = GgmlLib.ggml4j_quantize(type.id(), src, dst, outSize, rows, rowLength, imatrix, written);
            if (st != NativeStatus.OK) {
                throw new QuantizeException("quantizing to " + type + " failed: " + NativeStatus.describe(st));
            }
            long n = written.get(ValueLayout.JAVA_LONG, 0);
            if (n != outSize) {
                throw new NativeException("ggml wrote " + n + " bytes for " + type + ", expected " + outSize);
            }
            return dst.asSlice(0, outSize).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * Converts {@code count} values stored as {@code type} back to floats.
     *
     * @throws QuantizeException if the type has no conversion to float or the data is too short
     */
    public static float[] dequantize(GgmlType type, byte[] data, int count) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        if (count < 0 || count % type.blockSize() != 0) {
            throw new QuantizeException(count + " values are not a whole number of " + type + " blocks");
        }
        if (type.rowSize(count) > data.length) {
            throw new QuantizeException(count + " values of " + type + " need " + type.rowSize(count) + " bytes, got "
                    + data.length);
        }
        NativeLoader.ensureLoaded();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocateFrom(ValueLayout.JAVA_BYTE, data);
            if (type == GgmlType.F32) {
                // ggml has no to_float for F32 (it is the identity); quantize accepts F32, so this must too
                return src.asSlice(0, (long) count * Float.BYTES)
                        .toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN));
            }
            MemorySegment dst = arena.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, count));
            int st = GgmlLib.ggml4j_dequantize(type.id(), src, data.length, dst, count);
            if (st != NativeStatus.OK) {
                throw new QuantizeException("converting " + type + " to float failed: " + NativeStatus.describe(st));
            }
            return dst.asSlice(0, (long) count * Float.BYTES).toArray(ValueLayout.JAVA_FLOAT);
        }
    }
}
