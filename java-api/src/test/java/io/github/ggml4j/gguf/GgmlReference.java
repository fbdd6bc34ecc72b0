package io.github.ggml4j.gguf;

import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.internal.ggml.gguf_init_params;
import io.github.ggml4j.nativ.NativeLoader;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What ggml's own reader (gguf.h, through the bindings) sees in a file, in plain Java values, so tests can
 * compare it with what our reader sees. Integers become Long (u64 as raw bits), f32 Float, f64 Double,
 * bool Boolean, strings String, arrays List.
 */
record GgmlReference(int version, long alignment, long dataOffset, Map<String, Entry> metadata, List<Tensor> tensors) {

    record Entry(String type, Object value) {
    }

    record Tensor(String name, int type, List<Long> ne, long offset, long size) {
    }

    /** Reads a file with gguf.h; null where ggml refuses it. */
    static GgmlReference read(Path file) {
        NativeLoader.ensureLoaded();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = gguf_init_params.allocate(arena);
            gguf_init_params.no_alloc(params, true);
            gguf_init_params.ctx(params, MemorySegment.NULL);
            MemorySegment ctx = GgmlLib.gguf_init_from_file(arena.allocateFrom(file.toString()), params);
            if (ctx.equals(MemorySegment.NULL)) {
                return null;
            }
            try {
                Map<String, Entry> md = new LinkedHashMap<>();
                long n = GgmlLib.gguf_get_n_kv(ctx);
                for (long i = 0; i < n; i++) {
                    String key = cString(GgmlLib.gguf_get_key(ctx, i));
                    int type = GgmlLib.gguf_get_kv_type(ctx, i);
                    md.put(key, new Entry(typeName(type), value(ctx, i, type)));
                }
                List<Tensor> tensors = new ArrayList<>();
                for (long i = 0; i < GgmlLib.gguf_get_n_tensors(ctx); i++) {
                    MemorySegment ne = GgmlLib.gguf_get_tensor_ne(ctx, i).reinterpret(32);
                    List<Long> dims = new ArrayList<>();
                    for (int d = 0; d < 4; d++) {
                        dims.add(ne.getAtIndex(ValueLayout.JAVA_LONG, d));
                    }
                    tensors.add(new Tensor(cString(GgmlLib.gguf_get_tensor_name(ctx, i)),
                            GgmlLib.gguf_get_tensor_type(ctx, i), dims, GgmlLib.gguf_get_tensor_offset(ctx, i),
                            GgmlLib.gguf_get_tensor_size(ctx, i)));
                }
                return new GgmlReference(GgmlLib.gguf_get_version(ctx), GgmlLib.gguf_get_alignment(ctx),
                        GgmlLib.gguf_get_data_offset(ctx), md, tensors);
            } finally {
                GgmlLib.gguf_free(ctx);
            }
        }
    }

    private static String typeName(int type) {
        return cString(GgmlLib.gguf_type_name(type));
    }

    private static Object value(MemorySegment ctx, long i, int type) {
        return switch (type) {
            case 0 -> (long) Byte.toUnsignedInt(GgmlLib.gguf_get_val_u8(ctx, i));
            case 1 -> (long) GgmlLib.gguf_get_val_i8(ctx, i);
            case 2 -> (long) Short.toUnsignedInt(GgmlLib.gguf_get_val_u16(ctx, i));
            case 3 -> (long) GgmlLib.gguf_get_val_i16(ctx, i);
            case 4 -> Integer.toUnsignedLong(GgmlLib.gguf_get_val_u32(ctx, i));
            case 5 -> (long) GgmlLib.gguf_get_val_i32(ctx, i);
            case 6 -> GgmlLib.gguf_get_val_f32(ctx, i);
            case 7 -> GgmlLib.gguf_get_val_bool(ctx, i);
            case 8 -> cString(GgmlLib.gguf_get_val_str(ctx, i));
            case 9 -> array(ctx, i);
            case 10 -> GgmlLib.gguf_get_val_u64(ctx, i);
            case 11 -> GgmlLib.gguf_get_val_i64(ctx, i);
            case 12 -> GgmlLib.gguf_get_val_f64(ctx, i);
            default -> throw new AssertionError("type " + type);
        };
    }

    private static List<Object> array(MemorySegment ctx, long i) {
        int et = GgmlLib.gguf_get_arr_type(ctx, i);
        long n = GgmlLib.gguf_get_arr_n(ctx, i);
        List<Object> out = new ArrayList<>((int) n);
        if (et == 8) {
            for (long k = 0; k < n; k++) {
                out.add(cString(GgmlLib.gguf_get_arr_str(ctx, i, k)));
            }
            return out;
        }
        int[] sizes = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
        MemorySegment d = GgmlLib.gguf_get_arr_data(ctx, i).reinterpret(n * sizes[et]);
        ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        for (long k = 0; k < n; k++) {
            out.add(switch (et) {
                case 0 -> (long) Byte.toUnsignedInt(d.get(ValueLayout.JAVA_BYTE, k));
                case 1 -> (long) d.get(ValueLayout.JAVA_BYTE, k);
                case 2 -> (long) Short.toUnsignedInt(d.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(le), 2 * k));
                case 3 -> (long) d.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(le), 2 * k);
                case 4 -> Integer.toUnsignedLong(d.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(le), 4 * k));
                case 5 -> (long) d.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(le), 4 * k);
                case 6 -> d.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(le), 4 * k);
                case 7 -> d.get(ValueLayout.JAVA_BYTE, k) != 0;
                case 10, 11 -> d.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(le), 8 * k);
                case 12 -> d.get(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(le), 8 * k);
                default -> throw new AssertionError("array type " + et);
            });
        }
        return out;
    }

    /** A NUL-terminated C string, decoded like our reader decodes values (malformed UTF-8 to U+FFFD). */
    private static String cString(MemorySegment p) {
        MemorySegment s = p.reinterpret(Long.MAX_VALUE);
        long len = 0;
        while (s.get(ValueLayout.JAVA_BYTE, len) != 0) {
            len++;
        }
        return new String(s.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    /** Our reader's view of a file in the same plain values. */
    static GgmlReference ofOurs(GgufFile f) {
        Map<String, Entry> md = new LinkedHashMap<>();
        for (String key : f.metadata().keys()) {
            GgufValue v = f.metadata().require(key);
            md.put(key, new Entry(v.type().shortName(), plain(v)));
        }
        List<Tensor> tensors = new ArrayList<>();
        for (GgufTensorInfo t : f.tensors()) {
            List<Long> dims = new ArrayList<>();
            for (int d = 0; d < 4; d++) {
                dims.add(t.dim(d));
            }
            tensors.add(new Tensor(t.name(), t.type().id(), dims, t.offset(), t.byteSize()));
        }
        return new GgmlReference(f.version(), f.alignment(), f.dataOffset(), md, tensors);
    }

    static Object plain(GgufValue v) {
        return switch (v) {
            case GgufValue.UInt8 x -> (long) x.value();
            case GgufValue.Int8 x -> (long) x.value();
            case GgufValue.UInt16 x -> (long) x.value();
            case GgufValue.Int16 x -> (long) x.value();
            case GgufValue.UInt32 x -> x.value();
            case GgufValue.Int32 x -> (long) x.value();
            case GgufValue.Float32 x -> x.value();
            case GgufValue.Bool x -> x.value();
            case GgufValue.Str x -> x.value();
            case GgufValue.UInt64 x -> x.value();
            case GgufValue.Int64 x -> x.value();
            case GgufValue.Float64 x -> x.value();
            case GgufArray a -> {
                List<Object> out = new ArrayList<>(a.size());
                for (GgufValue e : a.values()) {
                    out.add(plain(e));
                }
                yield out;
            }
        };
    }
}
