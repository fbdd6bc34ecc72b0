package io.github.ggml4j.nativ;

import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.internal.ggml.ggml_tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Reads fields of {@code struct ggml_tensor} through pointers returned by ggml (which arrive zero-length). */
public final class Tensors {

    private static final long SIZE = ggml_tensor.sizeof();

    private Tensors() {
    }

    /** The tensor's struct, sized so its fields can be read. */
    public static MemorySegment struct(MemorySegment tensor) {
        return tensor.reinterpret(SIZE);
    }

    // The generated indexed accessors (ggml_tensor.ne(struct, i)) of the pinned jextract ignore the field's
    // offset inside the struct, so array fields are always read through their slice getters.

    public static long ne(MemorySegment tensor, int dim) {
        return ggml_tensor.ne(struct(tensor)).getAtIndex(ValueLayout.JAVA_LONG, dim);
    }

    public static long nb(MemorySegment tensor, int dim) {
        return ggml_tensor.nb(struct(tensor)).getAtIndex(ValueLayout.JAVA_LONG, dim);
    }

    public static int type(MemorySegment tensor) {
        return ggml_tensor.type(struct(tensor));
    }

    public static long nbytes(MemorySegment tensor) {
        return GgmlLib.ggml_nbytes(tensor);
    }

    public static long rowSize(int type, long n) {
        return GgmlLib.ggml_row_size(type, n);
    }

    public static String shape(MemorySegment tensor) {
        StringBuilder sb = new StringBuilder("[");
        int dims = GgmlLib.ggml_n_dims(tensor);
        for (int i = 0; i < dims; i++) {
            sb.append(i == 0 ? "" : ", ").append(ne(tensor, i));
        }
        return sb.append(']').toString();
    }
}
