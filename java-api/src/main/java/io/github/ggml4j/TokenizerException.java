package io.github.ggml4j;

/**
 * A vocabulary in a GGUF file is malformed (mismatched arrays, special ids outside the vocabulary, bad byte tokens).
 */
public final class TokenizerException extends Ggml4jException {

    private static final long serialVersionUID = 1L;

    public TokenizerException(String message) {
        super(message);
    }

    public TokenizerException(String message, Throwable cause) {
        super(message, cause);
    }
}
