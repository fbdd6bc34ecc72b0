package io.github.ggml4j.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * The encoding of metadata values: a validating walk over values in a file (used once at open, and again
 * to index arrays of strings or arrays), decoding of single values, and encoding for the writer.
 */
final class Wire {

    private Wire() {
    }

    /** Walks over one value of this type, checking every length, count, type id and the nesting depth. */
    static void skipValue(Cursor c, GgufValueType type, int depth) {
        switch (type) {
            case STRING -> c.skip(stringLength(c, "a string"), "a string");
            case ARRAY -> skipArray(c, depth);
            default -> c.skip(type.fixedSize(), "a value");
        }
    }

    /** Reads a string's length prefix and checks it against the limit and against the bytes left. */
    static long stringLength(Cursor c, String what) {
        long at = c.pos();
        long len = c.u64("a string length");
        if (len < 0 || len > Limits.MAX_STRING_BYTES) {
            throw c.error(what + " has length " + Long.toUnsignedString(len) + ", more than the limit of "
                    + Limits.MAX_STRING_BYTES + " bytes", at);
        }
        if (len > c.remaining()) {
            throw c.error(what + " has length " + len + " but only " + c.remaining()
                    + " bytes are left in the file", at);
        }
        return len;
    }

    private static void skipArray(Cursor c, int depth) {
        long at = c.pos();
        if (depth >= Limits.MAX_NESTING) {
            throw c.error("arrays nested more than " + Limits.MAX_NESTING + " deep", at);
        }
        GgufValueType element = valueType(c, c.i32("the element type of an array"), at);
        long count = c.u64("the length of an array");
        if (count < 0 || count > Limits.MAX_ARRAY_ELEMENTS) {
            throw c.error("array claims " + Long.toUnsignedString(count) + " elements, more than the limit of "
                    + Limits.MAX_ARRAY_ELEMENTS, at + 4);
        }
        if (element.fixedSize() > 0) {
            long bytes = count * element.fixedSize(); // count <= 2^30, so no overflow
            if (bytes > c.remaining()) {
                throw c.error("array of " + count + " " + element.shortName() + " needs " + bytes
                        + " bytes but only " + c.remaining() + " are left in the file", at);
            }
            c.skip(bytes, "an array");
            return;
        }
        // even empty strings (8 bytes) and empty arrays (12 bytes) take room: refuse impossible counts up front
        int least = element == GgufValueType.STRING ? 8 : 12;
        if (count > c.remaining() / least) {
            throw c.error("array claims " + count + " " + element.shortName() + " elements, which need at least "
                    + count * least + " bytes, but only " + c.remaining() + " are left in the file", at);
        }
        if (element == GgufValueType.STRING) {
            skipStrings(c, count);
            return;
        }
        for (long i = 0; i < count; i++) {
            skipValue(c, element, depth + 1);
        }
    }

    /**
     * The same checks as {@link #stringLength} in one tight loop: vocabularies hold 10^5 strings, and this walk
     * is most of what opening a model costs before the JIT has compiled anything. The lengths are read from
     * a copied window, since an interpreted array read costs a fraction of an interpreted segment access (32k
     * strings: 20 ms through the segment, the JIT busy elsewhere at start-up).
     */
    private static void skipStrings(Cursor c, long count) {
        MemorySegment s = c.segment();
        long pos = c.pos();
        long limit = c.limit();
        byte[] window = new byte[(int) Math.min(WINDOW, Math.max(0, limit - pos))];
        long windowStart = pos;
        int windowLength = 0;
        for (long i = 0; i < count; i++) {
            long at = pos - windowStart;
            if (at + 8 > windowLength) {
                windowStart = pos;
                windowLength = (int) Math.min(window.length, limit - pos);
                MemorySegment.copy(s, ValueLayout.JAVA_BYTE, pos, window, 0, windowLength);
                at = 0;
            }
            long len = at + 8 <= windowLength ? littleEndianLong(window, (int) at) : -1;
            if (len < 0 || len > Limits.MAX_STRING_BYTES || len > limit - pos - 8) {
                c.pos(pos);
                c.skip(stringLength(c, "a string"), "a string"); // throws, naming the cause
                throw new AssertionError("string at " + pos + " passed its second check");
            }
            pos += 8 + len;
        }
        c.pos(pos);
    }

    private static final int WINDOW = 64 * 1024;

    /** The u64 at {@code at}, little-endian; unrolled, since it runs interpreted at start-up. */
    static long littleEndianLong(byte[] b, int at) {
        return (b[at] & 0xFFL) | (b[at + 1] & 0xFFL) << 8 | (b[at + 2] & 0xFFL) << 16 | (b[at + 3] & 0xFFL) << 24
                | (b[at + 4] & 0xFFL) << 32 | (b[at + 5] & 0xFFL) << 40 | (b[at + 6] & 0xFFL) << 48
                | (b[at + 7] & 0xFFL) << 56;
    }

    static GgufValueType valueType(Cursor c, int id, long at) {
        if (id < 0 || id >= GgufValueType.values().length) {
            throw c.error("unknown value type id " + id, at);
        }
        return GgufValueType.fromId(id);
    }

    /** Decodes a scalar (not a string or array) stored at {@code offset}. */
    static GgufValue scalar(MemorySegment s, long offset, GgufValueType type) {
        return switch (type) {
            case UINT8 -> new GgufValue.UInt8(Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, offset)));
            case INT8 -> new GgufValue.Int8(s.get(ValueLayout.JAVA_BYTE, offset));
            case UINT16 -> new GgufValue.UInt16(Short.toUnsignedInt(s.get(Cursor.I16, offset)));
            case INT16 -> new GgufValue.Int16(s.get(Cursor.I16, offset));
            case UINT32 -> new GgufValue.UInt32(Integer.toUnsignedLong(s.get(Cursor.I32, offset)));
            case INT32 -> new GgufValue.Int32(s.get(Cursor.I32, offset));
            case FLOAT32 -> new GgufValue.Float32(s.get(Cursor.F32, offset));
            case BOOL -> new GgufValue.Bool(s.get(ValueLayout.JAVA_BYTE, offset) != 0);
            case UINT64 -> new GgufValue.UInt64(s.get(Cursor.I64, offset));
            case INT64 -> new GgufValue.Int64(s.get(Cursor.I64, offset));
            case FLOAT64 -> new GgufValue.Float64(s.get(Cursor.F64, offset));
            case STRING, ARRAY -> throw new AssertionError(type + " is not a scalar");
        };
    }

    /** Decodes the string whose length prefix is at {@code offset}; malformed UTF-8 becomes U+FFFD. */
    static String string(MemorySegment s, long offset) {
        long len = s.get(Cursor.I64, offset);
        byte[] b = s.asSlice(offset + 8, len).toArray(ValueLayout.JAVA_BYTE);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Encodes a value without its type id (as array elements are stored). */
    static void encode(LeBytes out, GgufValue v) {
        switch (v) {
            case GgufValue.UInt8 x -> out.u8(x.value());
            case GgufValue.Int8 x -> out.u8(x.value());
            case GgufValue.UInt16 x -> out.u16(x.value());
            case GgufValue.Int16 x -> out.u16(x.value());
            case GgufValue.UInt32 x -> out.u32((int) x.value());
            case GgufValue.Int32 x -> out.u32(x.value());
            case GgufValue.Float32 x -> out.f32(x.value());
            case GgufValue.Bool x -> out.u8(x.value() ? 1 : 0);
            case GgufValue.Str x -> out.string(x.value());
            case GgufValue.UInt64 x -> out.u64(x.value());
            case GgufValue.Int64 x -> out.u64(x.value());
            case GgufValue.Float64 x -> out.f64(x.value());
            case GgufArray a -> {
                out.u32(a.elementType().id());
                out.u64(a.size());
                a.copyBodyTo(out);
            }
        }
    }

    /**
     * A file-supplied text made safe for an exception message: control characters escaped and long texts
     * cut, so a hostile key can neither break the one-line error format nor flood a log.
     */
    static String quote(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 100));
        for (int i = 0; i < s.length(); i++) {
            if (b.length() >= 96) {
                b.append("...");
                break;
            }
            char ch = s.charAt(i);
            if (Character.isISOControl(ch) || ch == '\u2028' || ch == '\u2029') {
                b.append("\\u").append(String.format("%04x", (int) ch));
            } else {
                b.append(ch);
            }
        }
        return b.toString();
    }
}
