package io.github.ggml4j.session;

/**
 * How a session runs. Threads, batch size, cache type and flash attention belong to the model's engine,
 * shared by every session ({@link io.github.ggml4j.model.ModelOptions}).
 *
 * {@snippet :
 * SessionOptions opts = SessionOptions.defaults().withContextSize(2048).withWaitWhenFull(true);
 * }
 *
 * @param contextSize  positions this session may hold (prompt plus generated tokens); 0 means the smaller of
 *                     the model's KV cache and its trained context
 * @param waitWhenFull when the model's KV cache (shared by all its sessions) has no free cell, wait until
 *                     another session frees some instead of failing with a ContextOverflowException
 */
public record SessionOptions(int contextSize, boolean waitWhenFull) {

    public SessionOptions {
        if (contextSize < 0) {
            throw new IllegalArgumentException("contextSize must be >= 0, got " + contextSize);
        }
    }

    /** Context from the model, fail when the shared cache is full. */
    public static SessionOptions defaults() {
        return new SessionOptions(0, false);
    }

    public SessionOptions withContextSize(int value) {
        return new SessionOptions(value, waitWhenFull);
    }

    public SessionOptions withWaitWhenFull(boolean value) {
        return new SessionOptions(contextSize, value);
    }
}
