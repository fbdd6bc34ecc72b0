package io.github.ggml4j;

/**
 * A request needs more context (KV cache cells) than the session has: for example a prompt longer than the
 * context size.
 */
public final class ContextOverflowException extends Ggml4jException {

    private static final long serialVersionUID = 1L;

    private final int requested;
    private final int available;

    public ContextOverflowException(String message, int requested, int available) {
        super(message);
        this.requested = requested;
        this.available = available;
    }

    /** Number of positions the request needed. */
    public int requested() {
        return requested;
    }

    /** Number of positions the context had room for. */
    public int available() {
        return available;
    }
}
