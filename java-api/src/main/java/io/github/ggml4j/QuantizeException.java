package io.github.ggml4j;

/**
 * A quantization request cannot be carried out (unsupported type, bad shape, output equal to input).
 */
public final class QuantizeException extends Ggml4jException {

    private static final long serialVersionUID = 1L;

    public QuantizeException(String message) {
        super(message);
    }

    public QuantizeException(String message, Throwable cause) {
        super(message, cause);
    }
}
