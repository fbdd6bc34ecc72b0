package io.github.ggml4j.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable little-endian byte buffer: the writer builds headers and the builders encode arrays with it. */
final class LeBytes {

    private static final int MAX = Integer.MAX_VALUE - 16;

    private byte[] buf;
    private int len;

    LeBytes(int capacity) {
        buf = new byte[Math.max(16, capacity)];
    }

    int size() {
        return len;
    }

    byte[] toArray() {
        return Arrays.copyOf(buf, len);
    }

    /** The backing array; only the first {@link #size()} bytes are meaningful. */
    byte[] array() {
        return buf;
    }

    private void ensure(long extra) {
        long need = len + extra;
        if (need > MAX) {
            throw new IllegalArgumentException("encoded GGUF metadata would exceed 2 GiB");
        }
        if (need > buf.length) {
            buf = Arrays.copyOf(buf, (int) Math.min(MAX, Math.max(need, 2L * buf.length)));
        }
    }

    void u8(int v) {
        ensure(1);
        buf[len++] = (byte) v;
    }

    void u16(int v) {
        ensure(2);
        buf[len++] = (byte) v;
        buf[len++] = (byte) (v >>> 8);
    }

    void u32(int v) {
        ensure(4);
        for (int i = 0; i < 4; i++) {
            buf[len++] = (byte) (v >>> (8 * i));
        }
    }

    void u64(long v) {
        ensure(8);
        for (int i = 0; i < 8; i++) {
            buf[len++] = (byte) (v >>> (8 * i));
        }
    }

    void f32(float v) {
        u32(Float.floatToRawIntBits(v));
    }

    void f64(double v) {
        u64(Double.doubleToRawLongBits(v));
    }

    void bytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
    }

    void copy(MemorySegment from, long offset, long n) {
        ensure(n);
        MemorySegment.copy(from, ValueLayout.JAVA_BYTE, offset, buf, len, (int) n);
        len += (int) n;
    }

    /** A GGUF string: u64 byte length, then UTF-8. */
    void string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u64(b.length);
        bytes(b);
    }

    void zeros(int n) {
        ensure(n);
        len += n; // the array is zero beyond len: it only ever grows
    }
}
