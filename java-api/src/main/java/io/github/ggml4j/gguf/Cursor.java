package io.github.ggml4j.gguf;

import io.github.ggml4j.GgufFormatException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A bounds-checked little-endian read position in a segment. Every read first checks that the bytes are
 * there, so a short or lying file ends in a {@link GgufFormatException} naming what was being read.
 */
final class Cursor {

    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment segment;
    private final long limit;
    private long pos;
    // what is being read, for messages; composed only on failure so the walk allocates nothing per value
    private String kind = "header";
    private String name;

    Cursor(MemorySegment segment, long pos, long limit) {
        this.segment = segment;
        this.pos = pos;
        this.limit = limit;
    }

    /** Sets what the following reads belong to, e.g. ("metadata", key) or ("tensor", name). */
    void context(String kind, String name) {
        this.kind = kind;
        this.name = name;
    }

    /** "metadata 'general.name'", for messages. */
    String where() {
        return name == null ? kind : kind + " '" + Wire.quote(name) + "'";
    }

    GgufFormatException error(String message, long at) {
        return new GgufFormatException(where() + ": " + message, at);
    }

    MemorySegment segment() {
        return segment;
    }

    long pos() {
        return pos;
    }

    void pos(long pos) {
        this.pos = pos;
    }

    long limit() {
        return limit;
    }

    long remaining() {
        return limit - pos;
    }

    /** Checks that {@code n} more bytes are there. */
    void require(long n, String what) {
        if (n < 0 || n > limit - pos) {
            throw error("file ends inside " + what + " (needs " + (n < 0 ? "more than 2^63" : n) + " bytes, "
                    + (limit - pos) + " left)", pos);
        }
    }

    void skip(long n, String what) {
        require(n, what);
        pos += n;
    }

    int u8(String what) {
        require(1, what);
        return Byte.toUnsignedInt(segment.get(ValueLayout.JAVA_BYTE, pos++));
    }

    int i32(String what) {
        require(4, what);
        int v = segment.get(I32, pos);
        pos += 4;
        return v;
    }

    long i64(String what) {
        require(8, what);
        long v = segment.get(I64, pos);
        pos += 8;
        return v;
    }

    /** Reads a u64 length or count; values of 2^63 and above come back negative, which callers refuse. */
    long u64(String what) {
        return i64(what);
    }

    byte[] bytes(int n, String what) {
        require(n, what);
        byte[] b = segment.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
        pos += n;
        return b;
    }
}
