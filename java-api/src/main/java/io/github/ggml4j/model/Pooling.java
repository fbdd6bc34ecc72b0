package io.github.ggml4j.model;

import io.github.ggml4j.ModelException;

/**
 * How an encoder turns its per-token hidden states into one vector per input, as {@code <arch>.pooling_type}
 * gives it (llama.cpp's numbering).
 */
public enum Pooling {
    /** No pooling: one vector per token. */
    NONE(0),
    /** The average over the input's tokens. */
    MEAN(1),
    /** The first token's vector (BERT's {@code [CLS]}). */
    CLS(2),
    /** The last token's vector. */
    LAST(3),
    /** The first token through a classification head: relevance scores of a cross-encoder reranker. */
    RANK(4);

    private final int code;

    Pooling(int code) {
        this.code = code;
    }

    /** The number GGUF files store. */
    public int code() {
        return code;
    }

    /** The pooling a file's {@code pooling_type} names; -1 (unspecified) is {@link #NONE}, as in llama.cpp. */
    public static Pooling fromCode(long code) {
        if (code == -1) {
            return NONE;
        }
        for (Pooling p : values()) {
            if (p.code == code) {
                return p;
            }
        }
        throw new ModelException("unknown pooling_type " + code + " (0 none, 1 mean, 2 cls, 3 last, 4 rank)");
    }
}
