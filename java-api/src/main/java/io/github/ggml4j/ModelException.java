package io.github.ggml4j;

/**
 * A model cannot be built: unknown architecture, a missing tensor or one of the wrong shape or type, inconsistent hyper-parameters.
 */
public final class ModelException extends Ggml4jException {

    private static final long serialVersionUID = 1L;

    public ModelException(String message) {
        super(message);
    }

    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
