package io.github.ggml4j.gguf;

import io.github.ggml4j.GgufFormatException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.AbstractList;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * A GGUF metadata array: elements of one {@link GgufValueType}, possibly arrays themselves. An array read
 * from a {@link GgufFile} is a lazy view over the file's mapping: nothing is copied until an element or a
 * bulk accessor is asked for, and every access after the file is closed throws
 * {@link io.github.ggml4j.ResourceClosedException}. {@link #detach()} makes a copy that outlives the file.
 *
 * <p>Two arrays are equal when they have the same element type and the same encoded elements, bit for bit.
 *
 * {@snippet :
 * GgufArray tokens = (GgufArray) gguf.metadata().get("tokenizer.ggml.tokens").orElseThrow();
 * List<String> texts = tokens.strings();     // a view; each get() decodes one string
 * GgufArray scores = GgufArray.ofFloats(0.5f, -1f);
 * }
 */
public final class GgufArray implements GgufValue {

    private final Mapping mapping;
    private final GgufValueType elementType;
    private final int size;
    private final long body;
    private final long bodyLength;
    // offsets of variable-size elements (strings, arrays), built on first use; benign race
    private volatile long[] index;

    GgufArray(Mapping mapping, GgufValueType elementType, int size, long body, long bodyLength) {
        this.mapping = mapping;
        this.elementType = elementType;
        this.size = size;
        this.body = body;
        this.bodyLength = bodyLength;
    }

    @Override
    public GgufValueType type() {
        return GgufValueType.ARRAY;
    }

    /** The type of every element. */
    public GgufValueType elementType() {
        return elementType;
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** Element {@code i}, decoded. */
    public GgufValue get(int i) {
        Objects.checkIndex(i, size);
        mapping.check();
        try {
            MemorySegment s = mapping.segment();
            return switch (elementType) {
                case STRING -> new GgufValue.Str(Wire.string(s, offsetOf(i)));
                case ARRAY -> {
                    long at = offsetOf(i);
                    long end = i + 1 < size ? offsetOf(i + 1) : body + bodyLength;
                    yield new GgufArray(mapping, GgufValueType.fromId(s.get(Cursor.I32, at)),
                            (int) s.get(Cursor.I64, at + 4), at + 12, end - at - 12);
                }
                default -> Wire.scalar(s, body + (long) i * elementType.fixedSize(), elementType);
            };
        } catch (IllegalStateException e) {
            throw mapping.closed(e);
        }
    }

    /** All elements, decoded one by one as the list is read. */
    public List<GgufValue> values() {
        mapping.check();
        return new View<>(this::get);
    }

    /**
     * The elements of an array of strings, as a view that decodes element {@code i} on each {@code get(i)}.
     *
     * @throws GgufFormatException if the elements are not strings
     */
    public List<String> strings() {
        expect(elementType == GgufValueType.STRING, "strings");
        mapping.check();
        return new View<>(i -> {
            Objects.checkIndex(i, size);
            mapping.check();
            try {
                return Wire.string(mapping.segment(), offsetOf(i));
            } catch (IllegalStateException e) {
                throw mapping.closed(e);
            }
        });
    }

    /**
     * The elements of an array of strings, all decoded at once into an unmodifiable list. A vocabulary's
     * 10^5 strings take one bulk copy out of the mapping instead of a slice per element, which is most of
     * what reading a tokenizer costs before the JIT has compiled anything.
     *
     * @throws GgufFormatException if the elements are not strings
     */
    public List<String> toStringList() {
        expect(elementType == GgufValueType.STRING, "strings");
        mapping.check();
        String[] out = new String[size];
        try {
            MemorySegment s = mapping.segment();
            if (bodyLength > Integer.MAX_VALUE - 16) {
                for (int i = 0; i < size; i++) {
                    out[i] = Wire.string(s, offsetOf(i));
                }
            } else {
                byte[] b = new byte[(int) bodyLength];
                MemorySegment.copy(s, ValueLayout.JAVA_BYTE, body, b, 0, b.length);
                int pos = 0;
                for (int i = 0; i < size; i++) {
                    // every length was checked against the array's extent when the file was parsed
                    int len = lengthAt(b, pos);
                    out[i] = new String(b, pos + 8, len, java.nio.charset.StandardCharsets.UTF_8);
                    pos += 8 + len;
                }
            }
        } catch (IllegalStateException e) {
            throw mapping.closed(e);
        }
        return java.util.Collections.unmodifiableList(java.util.Arrays.asList(out));
    }

    /** A string's u64 length prefix at {@code pos}, which the parser bounded to {@link Limits#MAX_STRING_BYTES}. */
    private static int lengthAt(byte[] b, int pos) {
        long len = Wire.littleEndianLong(b, pos);
        if (len < 0 || len > b.length - pos - 8) {
            throw new GgufFormatException("string length " + len + " at array offset " + pos + " overruns the array");
        }
        return (int) len;
    }

    /** The elements of an f32 or f64 array, as floats (f64 rounded). */
    public float[] toFloatArray() {
        expect(elementType.isFloat(), "floats");
        float[] out = new float[size];
        mapping.check();
        try {
            MemorySegment s = mapping.segment();
            if (elementType == GgufValueType.FLOAT32) {
                MemorySegment.copy(s, Cursor.F32, body, out, 0, size);
            } else {
                for (int i = 0; i < size; i++) {
                    out[i] = (float) s.get(Cursor.F64, body + 8L * i);
                }
            }
        } catch (IllegalStateException e) {
            throw mapping.closed(e);
        }
        return out;
    }

    /** The elements of an f32 or f64 array, as doubles. */
    public double[] toDoubleArray() {
        expect(elementType.isFloat(), "floats");
        double[] out = new double[size];
        mapping.check();
        try {
            MemorySegment s = mapping.segment();
            for (int i = 0; i < size; i++) {
                out[i] = elementType == GgufValueType.FLOAT32 ? s.get(Cursor.F32, body + 4L * i)
                        : s.get(Cursor.F64, body + 8L * i);
            }
        } catch (IllegalStateException e) {
            throw mapping.closed(e);
        }
        return out;
    }

    /**
     * The elements of an integer array of any width, as ints.
     *
     * @throws GgufFormatException if the elements are not integers or one does not fit an int
     */
    public int[] toIntArray() {
        long[] wide = toLongArray();
        int[] out = new int[size];
        for (int i = 0; i < size; i++) {
            if (wide[i] != (int) wide[i]) {
                throw new GgufFormatException("array element " + i + " = " + wide[i] + " does not fit an int");
            }
            out[i] = (int) wide[i];
        }
        return out;
    }

    /**
     * The elements of an integer array of any width, as longs.
     *
     * @throws GgufFormatException if the elements are not integers or a u64 element exceeds
     *                             {@link Long#MAX_VALUE}
     */
    public long[] toLongArray() {
        expect(elementType.isInteger(), "integers");
        long[] out = new long[size];
        mapping.check();
        try {
            MemorySegment s = mapping.segment();
            if (elementType == GgufValueType.INT32) {
                int[] tmp = new int[size];
                MemorySegment.copy(s, Cursor.I32, body, tmp, 0, size);
                for (int i = 0; i < size; i++) {
                    out[i] = tmp[i];
                }
                return out;
            }
            for (int i = 0; i < size; i++) {
                long at = body + (long) i * elementType.fixedSize();
                out[i] = switch (elementType) {
                    case UINT8 -> Byte.toUnsignedLong(s.get(ValueLayout.JAVA_BYTE, at));
                    case INT8 -> s.get(ValueLayout.JAVA_BYTE, at);
                    case UINT16 -> Short.toUnsignedLong(s.get(Cursor.I16, at));
                    case INT16 -> s.get(Cursor.I16, at);
                    case UINT32 -> Integer.toUnsignedLong(s.get(Cursor.I32, at));
                    case INT64 -> s.get(Cursor.I64, at);
                    case UINT64 -> {
                        long v = s.get(Cursor.I64, at);
                        if (v < 0) {
                            throw new GgufFormatException("array element " + i + " = " + Long.toUnsignedString(v)
                                    + " does not fit a long");
                        }
                        yield v;
                    }
                    default -> throw new AssertionError(elementType);
                };
            }
        } catch (IllegalStateException e) {
            throw mapping.closed(e);
        }
        return out;
    }

    /** The elements of a bool array. */
    public boolean[] toBooleanArray() {
        expect(elementType == GgufValueType.BOOL, "bools");
        boolean[] out = new boolean[size];
        mapping.check();
        try {
            for (int i = 0; i < size; i++) {
                out[i] = mapping.segment().get(ValueLayout.JAVA_BYTE, body + i) != 0;
            }
        } catch (IllegalStateException e) {
            throw mapping.closed(e);
        }
        return out;
    }

    /** A copy on the heap, independent of the file this array was read from. */
    public GgufArray detach() {
        mapping.check();
        LeBytes b = new LeBytes((int) Math.min(bodyLength, Integer.MAX_VALUE - 16));
        copyBodyTo(b);
        return new GgufArray(Mapping.ofHeap(b.toArray()), elementType, size, 0, b.size());
    }

    void copyBodyTo(LeBytes out) {
        mapping.check();
        try {
            out.copy(mapping.segment(), body, bodyLength);
        } catch (IllegalStateException e) {
            throw mapping.closed(e);
        }
    }

    /** Encoded size of the elements in bytes. */
    long bodyLength() {
        return bodyLength;
    }

    private long offsetOf(int i) {
        long[] idx = index;
        if (idx == null) {
            idx = new long[size];
            Cursor c = new Cursor(mapping.segment(), body, body + bodyLength);
            c.context("array", null);
            for (int k = 0; k < size; k++) {
                idx[k] = c.pos();
                Wire.skipValue(c, elementType, 1);
            }
            index = idx;
        }
        return idx[i];
    }

    private void expect(boolean ok, String what) {
        if (!ok) {
            throw new GgufFormatException("array of " + elementType.shortName() + " where " + what + " were expected");
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof GgufArray a) || a.elementType != elementType || a.size != size
                || a.bodyLength != bodyLength) {
            return false;
        }
        mapping.check();
        a.mapping.check();
        try {
            return MemorySegment.mismatch(mapping.segment(), body, body + bodyLength,
                    a.mapping.segment(), a.body, a.body + bodyLength) == -1;
        } catch (IllegalStateException e) {
            throw mapping.closed(e);
        }
    }

    @Override
    public int hashCode() {
        mapping.check();
        int h = 31 * elementType.hashCode() + size;
        try {
            // the first kilobyte is enough to spread arrays; equal arrays share it
            long n = Math.min(bodyLength, 1024);
            for (long k = 0; k < n; k++) {
                h = 31 * h + mapping.segment().get(ValueLayout.JAVA_BYTE, body + k);
            }
        } catch (IllegalStateException e) {
            throw mapping.closed(e);
        }
        return h;
    }

    /** The element type, the size and the first few elements. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("GgufArray[").append(elementType.shortName()).append(" x ").append(size);
        if (mapping.isOpen()) {
            b.append(": ");
            for (int i = 0; i < Math.min(size, 4); i++) {
                b.append(i > 0 ? ", " : "").append(get(i));
            }
            b.append(size > 4 ? ", ...]" : "]");
        } else {
            b.append(", closed]");
        }
        return b.toString();
    }

    /** An unmodifiable random-access list over an index function. */
    private final class View<T> extends AbstractList<T> implements RandomAccess {
        private final java.util.function.IntFunction<T> element;

        View(java.util.function.IntFunction<T> element) {
            this.element = element;
        }

        @Override
        public T get(int i) {
            return element.apply(i);
        }

        @Override
        public int size() {
            return size;
        }
    }

    // ---- building arrays to write ----

    /** An array of strings. */
    public static GgufArray ofStrings(List<String> values) {
        return build(GgufValueType.STRING, values.size(), b -> values.forEach(v -> b.string(Objects.requireNonNull(v))));
    }

    /** An array of strings. */
    public static GgufArray ofStrings(String... values) {
        return ofStrings(List.of(values));
    }

    /** An array of f32. */
    public static GgufArray ofFloats(float... values) {
        return build(GgufValueType.FLOAT32, values.length, b -> {
            for (float v : values) {
                b.f32(v);
            }
        });
    }

    /** An array of f64. */
    public static GgufArray ofDoubles(double... values) {
        return build(GgufValueType.FLOAT64, values.length, b -> {
            for (double v : values) {
                b.f64(v);
            }
        });
    }

    /** An array of i32. */
    public static GgufArray ofInts(int... values) {
        return build(GgufValueType.INT32, values.length, b -> {
            for (int v : values) {
                b.u32(v);
            }
        });
    }

    /** An array of i64. */
    public static GgufArray ofLongs(long... values) {
        return build(GgufValueType.INT64, values.length, b -> {
            for (long v : values) {
                b.u64(v);
            }
        });
    }

    /** An array of bool. */
    public static GgufArray ofBooleans(boolean... values) {
        return build(GgufValueType.BOOL, values.length, b -> {
            for (boolean v : values) {
                b.u8(v ? 1 : 0);
            }
        });
    }

    /**
     * An array of any element type, arrays included.
     *
     * @throws IllegalArgumentException if a value is not of {@code elementType}, or arrays nest too deep
     */
    public static GgufArray of(GgufValueType elementType, List<? extends GgufValue> values) {
        Objects.requireNonNull(elementType, "elementType");
        for (GgufValue v : values) {
            if (v.type() != elementType) {
                throw new IllegalArgumentException("a " + v.type().shortName() + " value in an array of "
                        + elementType.shortName());
            }
        }
        return build(elementType, values.size(), b -> values.forEach(v -> Wire.encode(b, v)));
    }

    private static GgufArray build(GgufValueType type, int count, java.util.function.Consumer<LeBytes> fill) {
        if (count > Limits.MAX_ARRAY_ELEMENTS) {
            throw new IllegalArgumentException("an array holds at most " + Limits.MAX_ARRAY_ELEMENTS + " elements");
        }
        LeBytes b = new LeBytes((int) Math.min(1 << 20, 12L + (long) count * Math.max(1, type.fixedSize())));
        b.u32(type.id());
        b.u64(count);
        fill.accept(b);
        byte[] bytes = b.toArray();
        // the same walk as for files, so what we write is what we would accept
        Cursor c = new Cursor(MemorySegment.ofArray(bytes), 0, bytes.length);
        c.context("array", null);
        try {
            Wire.skipValue(c, GgufValueType.ARRAY, 0);
        } catch (GgufFormatException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return new GgufArray(Mapping.ofHeap(bytes), type, count, 12, bytes.length - 12L);
    }
}
