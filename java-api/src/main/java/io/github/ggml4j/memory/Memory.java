package io.github.ggml4j.memory;

/**
 * What a session remembers between decode steps. Attention layers keep a KV cache, recurrent layers (RWKV)
 * keep a state; the session only sees this interface, and the sequence operations are defined once here.
 */
public sealed interface Memory extends AutoCloseable permits KvCache {

    /** Positions the memory can hold. */
    int capacity();

    /** Positions currently held (the next token's position). */
    int used();

    /** Forgets everything. */
    void clear();

    /**
     * Forgets every position at or after {@code position}.
     *
     * @throws IllegalArgumentException if position is negative or past {@link #used()}
     */
    void truncate(int position);

    @Override
    void close();
}
