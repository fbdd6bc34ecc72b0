package io.github.ggml4j.nativ;

import io.github.ggml4j.internal.ggml.GgmlLib;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reads fields of {@code struct ggml_tensor} through pointers returned by ggml (which arrive zero-length), at the
 * offsets the loaded library reports ({@link NativeLayout}).
 */
public final class Tensors {

    private static final NativeLayout LAYOUT = NativeLoader.layout();
    private static final long SIZE = LAYOUT.tensorSize();
    private static final long TYPE = LAYOUT.tensorType();
    private static final long BUFFER = LAYOUT.tensorBuffer();
    private static final long NE = LAYOUT.tensorNe();
    private static final long NB = LAYOUT.tensorNb();

    private Tensors() {
    }

    /** The tensor's struct, sized so its fields can be read. */
    public static MemorySegment struct(MemorySegment tensor) {
        return tensor.reinterpret(SIZE);
    }

    public static long ne(MemorySegment tensor, int dim) {
        return struct(tensor).get(ValueLayout.JAVA_LONG, NE + 8L * checkDim(dim));
    }

    public static long nb(MemorySegment tensor, int dim) {
        return struct(tensor).get(ValueLayout.JAVA_LONG, NB + 8L * checkDim(dim));
    }

    public static int type(MemorySegment tensor) {
        return struct(tensor).get(ValueLayout.JAVA_INT, TYPE);
    }

    /** The backend buffer holding the tensor's data (NULL before it is allocated). */
    public static MemorySegment buffer(MemorySegment tensor) {
        return struct(tensor).get(ValueLayout.ADDRESS, BUFFER);
    }

    /** Points the tensor at a backend buffer (or NULL), as ggml's allocators do. */
    public static void setBuffer(MemorySegment tensor, MemorySegment buffer) {
        struct(tensor).set(ValueLayout.ADDRESS, BUFFER, buffer);
    }

    private static int checkDim(int dim) {
        if (dim < 0 || dim >= 4) {
            throw new IndexOutOfBoundsException("dimension " + dim + " of a ggml tensor (0 to 3)");
        }
        return dim;
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
