package io.github.ggml4j.gguf;

import io.github.ggml4j.GgufFormatException;

/**
 * ggml's tensor element types, with the ids GGUF files store and the block geometry ggml uses. Pure Java:
 * a file's tensor table is validated against this before any native code sees it. The geometry is checked
 * against the loaded ggml by a test.
 *
 * {@snippet :
 * GgmlType t = GgmlType.fromId(12);            // Q4_K
 * long rowBytes = t.rowSize(4096);             // 16 blocks of 144 bytes = 2304
 * }
 */
public enum GgmlType {
    F32(0, "f32", 1, 4, false),
    F16(1, "f16", 1, 2, false),
    Q4_0(2, "q4_0", 32, 18, true),
    Q4_1(3, "q4_1", 32, 20, true),
    Q5_0(6, "q5_0", 32, 22, true),
    Q5_1(7, "q5_1", 32, 24, true),
    Q8_0(8, "q8_0", 32, 34, true),
    Q8_1(9, "q8_1", 32, 36, true),
    Q2_K(10, "q2_K", 256, 84, true),
    Q3_K(11, "q3_K", 256, 110, true),
    Q4_K(12, "q4_K", 256, 144, true),
    Q5_K(13, "q5_K", 256, 176, true),
    Q6_K(14, "q6_K", 256, 210, true),
    Q8_K(15, "q8_K", 256, 292, true),
    IQ2_XXS(16, "iq2_xxs", 256, 66, true),
    IQ2_XS(17, "iq2_xs", 256, 74, true),
    IQ3_XXS(18, "iq3_xxs", 256, 98, true),
    IQ1_S(19, "iq1_s", 256, 50, true),
    IQ4_NL(20, "iq4_nl", 32, 18, true),
    IQ3_S(21, "iq3_s", 256, 110, true),
    IQ2_S(22, "iq2_s", 256, 82, true),
    IQ4_XS(23, "iq4_xs", 256, 136, true),
    I8(24, "i8", 1, 1, false),
    I16(25, "i16", 1, 2, false),
    I32(26, "i32", 1, 4, false),
    I64(27, "i64", 1, 8, false),
    F64(28, "f64", 1, 8, false),
    IQ1_M(29, "iq1_m", 256, 56, true),
    BF16(30, "bf16", 1, 2, false),
    TQ1_0(34, "tq1_0", 256, 54, true),
    TQ2_0(35, "tq2_0", 256, 66, true),
    MXFP4(39, "mxfp4", 32, 17, true),
    NVFP4(40, "nvfp4", 64, 36, true),
    Q1_0(41, "q1_0", 128, 18, true),
    Q2_0(42, "q2_0", 64, 18, true);

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final String ggmlName;
    private final int blockSize;
    private final int typeSize;
    private final boolean quantized;

    GgmlType(int id, String ggmlName, int blockSize, int typeSize, boolean quantized) {
        this.id = id;
        this.ggmlName = ggmlName;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
        this.quantized = quantized;
    }

    /** The id stored in GGUF files and passed to ggml ({@code enum ggml_type}). */
    public int id() {
        return id;
    }

    /** ggml's own name, e.g. {@code q4_K}. */
    public String ggmlName() {
        return ggmlName;
    }

    /** Elements per block (1 for plain types). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int typeSize() {
        return typeSize;
    }

    public boolean isQuantized() {
        return quantized;
    }

    /**
     * Bytes of one row of {@code n} elements.
     *
     * @throws IllegalArgumentException if n is negative or not a multiple of the block size
     */
    public long rowSize(long n) {
        if (n < 0 || n % blockSize != 0) {
            throw new IllegalArgumentException("row of " + n + " elements is not a whole number of " + this + " blocks of "
                    + blockSize);
        }
        return Math.multiplyExact(n / blockSize, (long) typeSize);
    }

    /** The type with this id. Ids of removed types (4, 5, 31–33, 36–38) and unknown ids are refused. */
    public static GgmlType fromId(int id) {
        if (id < 0 || id >= BY_ID.length || BY_ID[id] == null) {
            throw new GgufFormatException(describeUnknown(id));
        }
        return BY_ID[id];
    }

    /** Looks a type up by ggml's name ({@code q4_0}) or the enum name ({@code Q4_0}), ignoring case. */
    public static GgmlType fromName(String name) {
        for (GgmlType t : values()) {
            if (t.ggmlName.equalsIgnoreCase(name) || t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown ggml type '" + name + "'");
    }

    private static String describeUnknown(int id) {
        return switch (id) {
            case 4, 5 -> "ggml type " + id + " (Q4_2/Q4_3) was removed from ggml";
            case 31, 32, 33 -> "ggml type " + id + " (Q4_0_x_y) was removed; use Q4_0 with runtime repacking";
            case 36, 37, 38 -> "ggml type " + id + " (IQ4_NL_x_y) was removed; use IQ4_NL with runtime repacking";
            default -> "unknown ggml type id " + id;
        };
    }
}
