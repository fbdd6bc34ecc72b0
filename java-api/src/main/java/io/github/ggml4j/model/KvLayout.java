package io.github.ggml4j.model;

/** How the KV cache of a sliding-window model is laid out. */
public enum KvLayout {
    /** Every position kept, the window applied by the mask (memory grows with the sequence; the reference). */
    FULL,
    /** Exactly the window kept per sequence, position i in slot i mod W (memory constant however long). */
    ROLLING
}
