package io.github.ggml4j.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Assembles GGUF bytes by hand, little-endian, with no validation: the tests' independent way of making
 * files, malformed ones included. Value type ids: u8 0, i8 1, u16 2, i16 3, u32 4, i32 5, f32 6, bool 7,
 * str 8, arr 9, u64 10, i64 11, f64 12.
 */
final class Raw {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** Magic "GGUF", version, tensor count, metadata count. */
    static Raw header(int version, long nTensors, long nKv) {
        Raw r = new Raw();
        r.bytes('G', 'G', 'U', 'F');
        return r.u32(version).u64(nTensors).u64(nKv);
    }

    Raw bytes(int... b) {
        for (int x : b) {
            out.write(x);
        }
        return this;
    }

    Raw bytes(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    Raw u8(int v) {
        out.write(v);
        return this;
    }

    Raw u16(int v) {
        return bytes(v & 0xFF, (v >>> 8) & 0xFF);
    }

    Raw u32(int v) {
        for (int i = 0; i < 4; i++) {
            out.write(v >>> (8 * i));
        }
        return this;
    }

    Raw u64(long v) {
        for (int i = 0; i < 8; i++) {
            out.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    Raw f32(float v) {
        return u32(Float.floatToRawIntBits(v));
    }

    Raw f64(double v) {
        return u64(Double.doubleToRawLongBits(v));
    }

    /** A GGUF string: u64 length, then the UTF-8 bytes. */
    Raw str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return u64(b.length).bytes(b);
    }

    Raw strBytes(byte[] b) {
        return u64(b.length).bytes(b);
    }

    Raw kvString(String key, String value) {
        return str(key).u32(8).str(value);
    }

    Raw kvU32(String key, int value) {
        return str(key).u32(4).u32(value);
    }

    /** A tensor info: name, dims, type id, offset. */
    Raw tensor(String name, int type, long offset, long... ne) {
        str(name).u32(ne.length);
        for (long d : ne) {
            u64(d);
        }
        return u32(type).u64(offset);
    }

    Raw pad(int alignment) {
        while (out.size() % alignment != 0) {
            out.write(0);
        }
        return this;
    }

    Raw zeros(int n) {
        return bytes(new byte[n]);
    }

    int size() {
        return out.size();
    }

    byte[] toArray() {
        return out.toByteArray();
    }
}
