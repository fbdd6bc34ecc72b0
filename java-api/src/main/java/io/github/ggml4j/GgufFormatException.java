package io.github.ggml4j;

/**
 * A GGUF file is malformed. The message names the cause; {@link #offset()} is the byte offset in the file
 * where the problem was found, or -1 where it is not tied to one place.
 */
public final class GgufFormatException extends Ggml4jException {

    private static final long serialVersionUID = 1L;

    private final long offset;

    public GgufFormatException(String message) {
        this(message, -1);
    }

    public GgufFormatException(String message, long offset) {
        super(offset >= 0 ? message + " (at byte " + offset + ")" : message);
        this.offset = offset;
    }

    public GgufFormatException(String message, long offset, Throwable cause) {
        super(offset >= 0 ? message + " (at byte " + offset + ")" : message, cause);
        this.offset = offset;
    }

    public GgufFormatException(String message, Throwable cause) {
        super(message, cause);
        this.offset = -1;
    }

    /** Byte offset in the file where the problem was found, or -1. */
    public long offset() {
        return offset;
    }
}
