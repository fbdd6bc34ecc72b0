package io.github.ggml4j;

/**
 * A prompt evaluation or generation was cancelled by the caller.
 */
public final class CancelledException extends Ggml4jException {

    private static final long serialVersionUID = 1L;

    public CancelledException(String message) {
        super(message);
    }

    public CancelledException(String message, Throwable cause) {
        super(message, cause);
    }
}
