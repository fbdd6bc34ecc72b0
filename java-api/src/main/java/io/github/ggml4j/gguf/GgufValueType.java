package io.github.ggml4j.gguf;

/**
 * The type of a GGUF metadata value, with the id the file stores ({@code enum gguf_type} in ggml's
 * {@code gguf.h}).
 *
 * {@snippet :
 * GgufValueType t = gguf.metadata().type("tokenizer.ggml.scores").orElseThrow(); // ARRAY
 * }
 */
public enum GgufValueType {
    UINT8(0, "u8", 1),
    INT8(1, "i8", 1),
    UINT16(2, "u16", 2),
    INT16(3, "i16", 2),
    UINT32(4, "u32", 4),
    INT32(5, "i32", 4),
    FLOAT32(6, "f32", 4),
    BOOL(7, "bool", 1),
    STRING(8, "str", 0),
    ARRAY(9, "arr", 0),
    UINT64(10, "u64", 8),
    INT64(11, "i64", 8),
    FLOAT64(12, "f64", 8);

    private static final GgufValueType[] BY_ID = values();

    private final int id;
    private final String shortName;
    private final int fixedSize;

    GgufValueType(int id, String shortName, int fixedSize) {
        this.id = id;
        this.shortName = shortName;
        this.fixedSize = fixedSize;
    }

    /** The id stored in the file. */
    public int id() {
        return id;
    }

    /** ggml's short name ({@code gguf_type_name}): {@code u8}, {@code str}, {@code arr}, ... */
    public String shortName() {
        return shortName;
    }

    /** Encoded size in bytes, or 0 for the variable-size types {@link #STRING} and {@link #ARRAY}. */
    public int fixedSize() {
        return fixedSize;
    }

    /** Whether values of this type are integers (signed or not). */
    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** Whether values of this type are floating point. */
    public boolean isFloat() {
        return this == FLOAT32 || this == FLOAT64;
    }

    /**
     * The type with this id.
     *
     * @throws io.github.ggml4j.GgufFormatException for an id outside 0..12
     */
    public static GgufValueType fromId(int id) {
        if (id < 0 || id >= BY_ID.length) {
            throw new io.github.ggml4j.GgufFormatException("unknown metadata value type id " + id
                    + " (valid ids are 0.." + (BY_ID.length - 1) + ")");
        }
        return BY_ID[id];
    }
}
