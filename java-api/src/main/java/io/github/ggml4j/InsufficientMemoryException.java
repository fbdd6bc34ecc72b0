package io.github.ggml4j;

/**
 * What was asked for (a context size, a KV cache) would not fit in the memory this machine has; refused
 * before anything was allocated, instead of leaving the process to the kernel's out-of-memory killer.
 */
public final class InsufficientMemoryException extends Ggml4jException {

    private static final long serialVersionUID = 1L;

    private final long requiredBytes;
    private final long availableBytes;

    public InsufficientMemoryException(String message, long requiredBytes, long availableBytes) {
        super(message);
        this.requiredBytes = requiredBytes;
        this.availableBytes = availableBytes;
    }

    /** The estimate of what the request needs. */
    public long requiredBytes() {
        return requiredBytes;
    }

    /** What the machine had available. */
    public long availableBytes() {
        return availableBytes;
    }
}
