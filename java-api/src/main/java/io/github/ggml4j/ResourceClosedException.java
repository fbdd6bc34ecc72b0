package io.github.ggml4j;

/**
 * An object was used after it (or the object it belongs to) was closed.
 */
public final class ResourceClosedException extends Ggml4jException {

    private static final long serialVersionUID = 1L;

    public ResourceClosedException(String message) {
        super(message);
    }

    public ResourceClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
