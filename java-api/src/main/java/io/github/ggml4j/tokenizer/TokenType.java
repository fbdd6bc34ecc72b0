package io.github.ggml4j.tokenizer;

/**
 * A token's type as GGUF stores it in {@code tokenizer.ggml.token_type}.
 *
 * {@snippet :
 * if (tokenizer.tokenType(id) == TokenType.CONTROL) {
 *     // e.g. <|eot_id|>: rendered only when asked to
 * }
 * }
 */
public enum TokenType {
    /** Type 0; rendered as nothing. */
    UNDEFINED(0),
    /** Type 1: ordinary text. */
    NORMAL(1),
    /** Type 2: the unknown token, e.g. {@code <unk>}. */
    UNKNOWN(2),
    /** Type 3: control tokens such as BOS, EOS, chat markers. */
    CONTROL(3),
    /** Type 4: added tokens matched verbatim in the text before the model's own splitting. */
    USER_DEFINED(4),
    /** Type 5: reserved, never produced. */
    UNUSED(5),
    /** Type 6: a raw byte, spelled {@code <0xXX>}. */
    BYTE(6);

    private final int code;

    TokenType(int code) {
        this.code = code;
    }

    /** The GGUF code. */
    public int code() {
        return code;
    }

    /** The type for a GGUF code; codes llama.cpp does not know are {@link #UNDEFINED}, as there. */
    public static TokenType fromCode(int code) {
        return switch (code) {
            case 1 -> NORMAL;
            case 2 -> UNKNOWN;
            case 3 -> CONTROL;
            case 4 -> USER_DEFINED;
            case 5 -> UNUSED;
            case 6 -> BYTE;
            default -> UNDEFINED;
        };
    }
}
