package io.github.ggml4j.quantize;

import io.github.ggml4j.gguf.GgmlType;

import java.util.Arrays;
import java.util.Objects;

/**
 * What the quantizer does with one tensor: its input type and the type it is written in.
 *
 * @param name            the tensor's name
 * @param shape           ggml's {@code ne}, row length first
 * @param from            its type in the input file
 * @param to              its type in the output file ({@code from} when copied)
 * @param requiresImatrix whether ggml or llama.cpp's rules need an importance matrix for this tensor
 * @param fallback        whether {@code to} replaces the mix's choice because rows do not split into its blocks
 */
public record TensorPlan(String name, long[] shape, GgmlType from, GgmlType to, boolean requiresImatrix,
                         boolean fallback) {

    public TensorPlan {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        shape = shape.clone();
        for (long d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("tensor " + name + ": dimension " + d);
            }
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Values in the tensor. */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Rows (all dimensions after the first). */
    public long rows() {
        return elementCount() / shape[0];
    }

    /** Whether the data changes (otherwise the bytes are copied). */
    public boolean converts() {
        return from != to;
    }

    /** Bytes in the input. */
    public long inputBytes() {
        return Math.multiplyExact(from.rowSize(shape[0]), rows());
    }

    /** Bytes in the output. */
    public long outputBytes() {
        return Math.multiplyExact(to.rowSize(shape[0]), rows());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorPlan p && name.equals(p.name) && Arrays.equals(shape, p.shape) && from == p.from
                && to == p.to && requiresImatrix == p.requiresImatrix && fallback == p.fallback;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(shape), from, to);
    }

    @Override
    public String toString() {
        return name + " " + Arrays.toString(shape) + " " + from.ggmlName() + " -> " + to.ggmlName();
    }
}
