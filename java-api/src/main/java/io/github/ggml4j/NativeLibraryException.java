package io.github.ggml4j;

/**
 * The native libraries could not be found or loaded, or are of the wrong version or struct layout.
 */
public final class NativeLibraryException extends Ggml4jException {

    private static final long serialVersionUID = 1L;

    public NativeLibraryException(String message) {
        super(message);
    }

    public NativeLibraryException(String message, Throwable cause) {
        super(message, cause);
    }
}
