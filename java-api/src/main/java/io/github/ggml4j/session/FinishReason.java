package io.github.ggml4j.session;

/** Why generation stopped. */
public enum FinishReason {
    /** The model produced an end-of-generation token (EOS, EOT ...). */
    END_OF_GENERATION,
    /** The requested number of tokens was generated. */
    MAX_TOKENS,
    /** The context is full (case 37). */
    CONTEXT_FULL,
    /** A stop string was produced. */
    STOP_STRING,
    /**
     * {@link Session#cancel()} stopped a stream (a blocking {@code generate} throws
     * {@link io.github.ggml4j.CancelledException} instead).
     */
    CANCELLED
}
