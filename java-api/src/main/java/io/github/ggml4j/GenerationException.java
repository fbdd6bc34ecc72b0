package io.github.ggml4j;

/**
 * Generation cannot go on: for example the model produced non-finite logits (NaN or Inf weights).
 */
public final class GenerationException extends Ggml4jException {

    private static final long serialVersionUID = 1L;

    public GenerationException(String message) {
        super(message);
    }

    public GenerationException(String message, Throwable cause) {
        super(message, cause);
    }
}
