package io.github.ggml4j;

/**
 * Reading or writing a file failed at the operating-system level (not found, permission, disk full).
 */
public final class StorageException extends Ggml4jException {

    private static final long serialVersionUID = 1L;

    public StorageException(String message) {
        super(message);
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
