package io.github.ggml4j.gguf;

import java.util.Objects;

/**
 * A GGUF metadata value: one record per scalar type, plus {@link GgufArray}. Unsigned types hold their value
 * in a wider Java type ({@link UInt32} in a {@code long}); {@link UInt64} keeps the 64 raw bits, read them with
 * {@link Long#toUnsignedString(long)}.
 *
 * {@snippet :
 * switch (gguf.metadata().get("general.file_type").orElseThrow()) {
 *     case GgufValue.UInt32 u -> System.out.println("file type " + u.value());
 *     case GgufValue.Str s -> System.out.println("odd: a string " + s.value());
 *     default -> System.out.println("other");
 * }
 * }
 */
public sealed interface GgufValue
        permits GgufValue.UInt8, GgufValue.Int8, GgufValue.UInt16, GgufValue.Int16, GgufValue.UInt32,
                GgufValue.Int32, GgufValue.Float32, GgufValue.Bool, GgufValue.Str, GgufValue.UInt64,
                GgufValue.Int64, GgufValue.Float64, GgufArray {

    /** The type this value is stored as. */
    GgufValueType type();

    /** An unsigned 8-bit integer, 0..255. */
    record UInt8(int value) implements GgufValue {
        public UInt8 {
            if (value < 0 || value > 0xFF) {
                throw new IllegalArgumentException("u8 value out of range: " + value);
            }
        }

        @Override
        public GgufValueType type() {
            return GgufValueType.UINT8;
        }
    }

    /** A signed 8-bit integer. */
    record Int8(byte value) implements GgufValue {
        @Override
        public GgufValueType type() {
            return GgufValueType.INT8;
        }
    }

    /** An unsigned 16-bit integer, 0..65535. */
    record UInt16(int value) implements GgufValue {
        public UInt16 {
            if (value < 0 || value > 0xFFFF) {
                throw new IllegalArgumentException("u16 value out of range: " + value);
            }
        }

        @Override
        public GgufValueType type() {
            return GgufValueType.UINT16;
        }
    }

    /** A signed 16-bit integer. */
    record Int16(short value) implements GgufValue {
        @Override
        public GgufValueType type() {
            return GgufValueType.INT16;
        }
    }

    /** An unsigned 32-bit integer, 0..4294967295. */
    record UInt32(long value) implements GgufValue {
        public UInt32 {
            if (value < 0 || value > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("u32 value out of range: " + value);
            }
        }

        @Override
        public GgufValueType type() {
            return GgufValueType.UINT32;
        }
    }

    /** A signed 32-bit integer. */
    record Int32(int value) implements GgufValue {
        @Override
        public GgufValueType type() {
            return GgufValueType.INT32;
        }
    }

    /** A 32-bit float. Equality is bitwise (NaN equals NaN, 0.0 differs from -0.0), as for all records. */
    record Float32(float value) implements GgufValue {
        @Override
        public GgufValueType type() {
            return GgufValueType.FLOAT32;
        }
    }

    /** A boolean, stored as one byte (any non-zero byte reads as true). */
    record Bool(boolean value) implements GgufValue {
        @Override
        public GgufValueType type() {
            return GgufValueType.BOOL;
        }
    }

    /**
     * A string. Read from a file, its UTF-8 is decoded with replacement: a malformed sequence becomes U+FFFD
     * rather than an error, because value strings (token texts above all) are data, not structure.
     */
    record Str(String value) implements GgufValue {
        public Str {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public GgufValueType type() {
            return GgufValueType.STRING;
        }
    }

    /** An unsigned 64-bit integer, as its 64 raw bits (negative in Java above {@link Long#MAX_VALUE}). */
    record UInt64(long value) implements GgufValue {
        @Override
        public GgufValueType type() {
            return GgufValueType.UINT64;
        }

        @Override
        public String toString() {
            return "UInt64[value=" + Long.toUnsignedString(value) + "]";
        }
    }

    /** A signed 64-bit integer. */
    record Int64(long value) implements GgufValue {
        @Override
        public GgufValueType type() {
            return GgufValueType.INT64;
        }
    }

    /** A 64-bit float. */
    record Float64(double value) implements GgufValue {
        @Override
        public GgufValueType type() {
            return GgufValueType.FLOAT64;
        }
    }
}
