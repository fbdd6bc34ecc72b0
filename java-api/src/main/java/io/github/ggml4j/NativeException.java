package io.github.ggml4j;

/**
 * A native call reported failure. {@link #status()} is the status code libggml4j or ggml returned; the
 * mapping from codes to messages lives in one place (the native error mapper).
 */
public final class NativeException extends Ggml4jException {

    private static final long serialVersionUID = 1L;

    private final int status;

    public NativeException(String message, int status) {
        super(message);
        this.status = status;
    }

    public NativeException(String message) {
        this(message, -1);
    }

    /** The native status code, or -1 where none applies. */
    public int status() {
        return status;
    }
}
