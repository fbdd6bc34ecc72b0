package io.github.ggml4j.nativ;

import io.github.ggml4j.NativeLibraryException;
import io.github.ggml4j.internal.ggml.GgmlLib;

/**
 * Where {@code struct ggml_tensor} keeps the fields Java reads and writes, as
 * the loaded libggml4j (compiled with ggml's own headers) reports them through {@code ggml4j_layout}. Java
 * accesses those fields at these offsets rather than through the generated struct classes, so it follows the
 * library it loaded; the generated class's static initialiser builds a var handle per array field, which cost
 * every start-up some 20 ms. A test keeps the generated layout and these offsets in agreement.
 *
 * @param tensorSize      {@code sizeof(struct ggml_tensor)}
 * @param tensorType      offset of {@code type} (an {@code enum ggml_type}, 4 bytes)
 * @param tensorBuffer    offset of {@code buffer} (a pointer)
 * @param tensorNe        offset of {@code ne} ({@code int64_t[GGML_MAX_DIMS]})
 * @param tensorNb        offset of {@code nb} ({@code size_t[GGML_MAX_DIMS]})
 * @param tensorData      offset of {@code data} (a pointer)
 * @param tensorName      offset of {@code name} ({@code char[GGML_MAX_NAME]})
 */
record NativeLayout(long tensorSize, long tensorType, long tensorBuffer, long tensorNe, long tensorNb, long tensorData,
                    long tensorName) {

    /**
     * Reads the layout from the loaded library and checks that every field lies inside the struct, aligned,
     * without overlapping another: a library that reports otherwise is not a ggml4j build of these headers.
     */
    static NativeLayout read(String what, String fix) {
        long dims = GgmlLib.GGML_MAX_DIMS();
        long name = GgmlLib.GGML_MAX_NAME();
        long tensorSize = item(GgmlLib.GGML4J_SIZEOF_GGML_TENSOR());
        NativeLayout l = new NativeLayout(tensorSize,
                item(GgmlLib.GGML4J_OFFSETOF_TENSOR_TYPE()), item(GgmlLib.GGML4J_OFFSETOF_TENSOR_BUFFER()),
                item(GgmlLib.GGML4J_OFFSETOF_TENSOR_NE()), item(GgmlLib.GGML4J_OFFSETOF_TENSOR_NB()),
                item(GgmlLib.GGML4J_OFFSETOF_TENSOR_DATA()), item(GgmlLib.GGML4J_OFFSETOF_TENSOR_NAME()));
        Field[] tensor = {
                new Field("type", l.tensorType, 4, 4), new Field("buffer", l.tensorBuffer, 8, 8),
                new Field("ne", l.tensorNe, 8 * dims, 8), new Field("nb", l.tensorNb, 8 * dims, 8),
                new Field("data", l.tensorData, 8, 8), new Field("name", l.tensorName, name, 1)};
        check("ggml_tensor", tensorSize, tensor, what, fix);
        return l;
    }

    private record Field(String name, long offset, long size, long align) {
    }

    private static void check(String struct, long size, Field[] fields, String what, String fix) {
        for (Field f : fields) {
            if (f.offset < 0 || f.offset % f.align != 0 || f.offset + f.size > size) {
                throw new NativeLibraryException("native sizeof(struct " + struct + ") is " + size + " with " + f.name
                        + " at offset " + f.offset + ", which cannot hold a " + f.size + "-byte field: " + what
                        + " do not match these bindings; " + fix);
            }
            for (Field g : fields) {
                if (g != f && f.offset < g.offset + g.size && g.offset < f.offset + f.size) {
                    throw new NativeLibraryException("native " + struct + "." + f.name + " (offset " + f.offset
                            + ") overlaps " + g.name + " (offset " + g.offset + "): " + what
                            + " do not match these bindings; " + fix);
                }
            }
        }
    }

    private static long item(int item) {
        return GgmlLib.ggml4j_layout(item);
    }
}
