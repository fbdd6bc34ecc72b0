package io.github.ggml4j.quantize;

import io.github.ggml4j.QuantizeException;
import io.github.ggml4j.gguf.GgmlType;

import java.util.Locale;

/**
 * The file types {@code llama-quantize} offers, with its names and the {@code general.file_type} number each
 * writes ({@code enum llama_ftype}). A file type is a mix: a default tensor type that most matrices get, and rules
 * ({@link QuantizePlanner}) that give some tensors more or fewer bits.
 *
 * {@snippet :
 * FileType t = FileType.parse("q4_k_m");   // names are case-insensitive; "15" works too
 * GgmlType most = t.defaultType();          // Q4_K
 * }
 */
public enum FileType {
    Q1_0(40, GgmlType.Q1_0, " 1.125 bpw quantization"),
    Q2_0(41, GgmlType.Q2_0, " 2.25 bpw quantization (group 64)"),
    Q4_0(2, GgmlType.Q4_0, " 4.34G, +0.4685 ppl @ Llama-3-8B"),
    Q4_1(3, GgmlType.Q4_1, " 4.78G, +0.4511 ppl @ Llama-3-8B"),
    MXFP4_MOE(38, GgmlType.MXFP4, " MXFP4 MoE"),
    Q5_0(8, GgmlType.Q5_0, " 5.21G, +0.1316 ppl @ Llama-3-8B"),
    Q5_1(9, GgmlType.Q5_1, " 5.65G, +0.1062 ppl @ Llama-3-8B"),
    IQ2_XXS(19, GgmlType.IQ2_XXS, " 2.06 bpw quantization"),
    IQ2_XS(20, GgmlType.IQ2_XS, " 2.31 bpw quantization"),
    IQ2_S(28, GgmlType.IQ2_XS, " 2.5  bpw quantization"),
    IQ2_M(29, GgmlType.IQ2_S, " 2.7  bpw quantization"),
    IQ1_S(24, GgmlType.IQ1_S, " 1.56 bpw quantization"),
    IQ1_M(31, GgmlType.IQ1_M, " 1.75 bpw quantization"),
    TQ1_0(36, GgmlType.TQ1_0, " 1.69 bpw ternarization"),
    TQ2_0(37, GgmlType.TQ2_0, " 2.06 bpw ternarization"),
    Q2_K(10, GgmlType.Q2_K, " 2.96G, +3.5199 ppl @ Llama-3-8B"),
    Q2_K_S(21, GgmlType.Q2_K, " 2.96G, +3.1836 ppl @ Llama-3-8B"),
    IQ3_XXS(23, GgmlType.IQ3_XXS, " 3.06 bpw quantization"),
    IQ3_S(26, GgmlType.IQ3_S, " 3.44 bpw quantization"),
    IQ3_M(27, GgmlType.IQ3_S, " 3.66 bpw quantization mix"),
    IQ3_XS(22, GgmlType.IQ3_S, " 3.3 bpw quantization"),
    Q3_K_S(11, GgmlType.Q3_K, " 3.41G, +1.6321 ppl @ Llama-3-8B"),
    Q3_K_M(12, GgmlType.Q3_K, " 3.74G, +0.6569 ppl @ Llama-3-8B"),
    Q3_K_L(13, GgmlType.Q3_K, " 4.03G, +0.5562 ppl @ Llama-3-8B"),
    IQ4_NL(25, GgmlType.IQ4_NL, " 4.50 bpw non-linear quantization"),
    IQ4_XS(30, GgmlType.IQ4_XS, " 4.25 bpw non-linear quantization"),
    Q4_K_S(14, GgmlType.Q4_K, " 4.37G, +0.2689 ppl @ Llama-3-8B"),
    Q4_K_M(15, GgmlType.Q4_K, " 4.58G, +0.1754 ppl @ Llama-3-8B"),
    Q5_K_S(16, GgmlType.Q5_K, " 5.21G, +0.1049 ppl @ Llama-3-8B"),
    Q5_K_M(17, GgmlType.Q5_K, " 5.33G, +0.0569 ppl @ Llama-3-8B"),
    Q6_K(18, GgmlType.Q6_K, " 6.14G, +0.0217 ppl @ Llama-3-8B"),
    Q8_0(7, GgmlType.Q8_0, " 7.96G, +0.0026 ppl @ Llama-3-8B"),
    F16(1, GgmlType.F16, "14.00G, +0.0020 ppl @ Mistral-7B"),
    BF16(32, GgmlType.BF16, "14.00G, -0.0050 ppl @ Mistral-7B"),
    F32(0, GgmlType.F32, "26.00G              @ 7B"),
    /** Copies every tensor as it is; only the metadata changes. */
    COPY(0, GgmlType.F32, "only copy tensors, no quantizing");

    private final int id;
    private final GgmlType defaultType;
    private final String description;

    FileType(int id, GgmlType defaultType, String description) {
        this.id = id;
        this.defaultType = defaultType;
        this.description = description;
    }

    /** The {@code general.file_type} value ({@code enum llama_ftype}); COPY keeps the input's. */
    public int id() {
        return id;
    }

    /** The type most weight matrices get. */
    public GgmlType defaultType() {
        return defaultType;
    }

    /** llama-quantize's one-line description. */
    public String description() {
        return description;
    }

    /**
     * A type by llama-quantize's name (case-insensitive) or number; {@code Q3_K}, {@code Q4_K} and {@code Q5_K} are
     * its aliases of the {@code _M} mixes.
     *
     * @throws QuantizeException for an unknown name
     */
    public static FileType parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        switch (n) {
            case "Q3_K": return Q3_K_M;
            case "Q4_K": return Q4_K_M;
            case "Q5_K": return Q5_K_M;
            default: break;
        }
        for (FileType t : values()) {
            if (t.name().equals(n)) {
                return t;
            }
        }
        try {
            int id = Integer.parseInt(n);
            for (FileType t : values()) {
                if (t.id == id) {
                    return t;
                }
            }
        } catch (NumberFormatException ignored) {
            // not a number either
        }
        throw new QuantizeException("unknown quantization type '" + name + "'");
    }

    /**
     * A ggml tensor type by its ggml name, case-insensitive ({@code q8_0}, {@code Q4_K}, {@code f16}), limited to
     * the types ggml can write from floats.
     *
     * @throws QuantizeException for an unknown type or one ggml cannot produce
     */
    public static GgmlType parseTensorType(String name) {
        for (GgmlType t : GgmlType.values()) {
            if (t.ggmlName().equalsIgnoreCase(name.trim())) {
                if (!TensorQuantizer.canQuantize(t)) {
                    throw new QuantizeException("ggml cannot write tensors of type " + t.ggmlName());
                }
                return t;
            }
        }
        throw new QuantizeException("invalid ggml_type '" + name + "'");
    }
}
