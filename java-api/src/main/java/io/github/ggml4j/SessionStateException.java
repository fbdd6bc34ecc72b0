package io.github.ggml4j;

/**
 * A saved session state cannot be restored: it is truncated or damaged, or it was saved from another model
 * (another architecture, other tensor shapes or types, other hyper-parameters) or KV cache layout.
 */
public final class SessionStateException extends Ggml4jException {

    private static final long serialVersionUID = 1L;

    public SessionStateException(String message) {
        super(message);
    }

    public SessionStateException(String message, Throwable cause) {
        super(message, cause);
    }
}
