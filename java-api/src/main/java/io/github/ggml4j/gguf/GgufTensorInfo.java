package io.github.ggml4j.gguf;

import io.github.ggml4j.GgufFormatException;

import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of a GGUF file's tensor table.
 *
 * @param name     the tensor's name (at most 63 bytes of UTF-8)
 * @param type     how its elements are stored
 * @param shape    ggml's {@code ne}: {@code shape[0]} is the row length (the fastest-varying dimension);
 *                 1 to 4 dimensions. The record copies it in and out, so it cannot be changed.
 * @param offset   where its data starts, relative to the file's data section ({@link GgufFile#dataOffset()})
 * @param byteSize its size in bytes, which the shape and type determine
 *
 * {@snippet :
 * GgufTensorInfo t = gguf.tensor("token_embd.weight").orElseThrow();
 * long vocab = t.shape()[1], embd = t.shape()[0];
 * }
 */
public record GgufTensorInfo(String name, GgmlType type, long[] shape, long offset, long byteSize) {

    /**
     * @throws GgufFormatException if the name, shape or type break ggml's rules, or {@code byteSize} does not
     *                             match them
     */
    public GgufTensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        shape = Objects.requireNonNull(shape, "shape").clone();
        TensorRules.checkName(name);
        long expected = TensorRules.byteSize(name, type, shape, -1);
        if (byteSize != expected) {
            throw new GgufFormatException("tensor '" + Wire.quote(name) + "' of shape " + TensorRules.shape(shape)
                    + " and type " + type.ggmlName() + " has " + expected + " bytes, not " + byteSize);
        }
        if (offset < 0) {
            throw new GgufFormatException("tensor '" + Wire.quote(name) + "' has negative offset " + offset);
        }
    }

    /** A tensor info whose byte size is computed from the shape and type. */
    public static GgufTensorInfo of(String name, GgmlType type, long offset, long... shape) {
        Objects.requireNonNull(shape, "shape");
        return new GgufTensorInfo(name, type, shape, offset,
                TensorRules.byteSize(Objects.requireNonNull(name, "name"), Objects.requireNonNull(type, "type"),
                        shape, -1));
    }

    /** A copy of the shape. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions stored in the file (1 to 4). */
    public int nDims() {
        return shape.length;
    }

    /** Dimension {@code i} (ggml's {@code ne[i]}); 1 for {@code i} at or beyond {@link #nDims()}, up to 3. */
    public long dim(int i) {
        Objects.checkIndex(i, Limits.MAX_DIMS);
        return i < shape.length ? shape[i] : 1;
    }

    /** Number of elements. */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && type == t.type
                && Arrays.equals(shape, t.shape) && offset == t.offset && byteSize == t.byteSize;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, Arrays.hashCode(shape), offset, byteSize);
    }

    @Override
    public String toString() {
        return "GgufTensorInfo[name=" + name + ", type=" + type.ggmlName() + ", shape=" + TensorRules.shape(shape)
                + ", offset=" + offset + ", byteSize=" + byteSize + "]";
    }
}
