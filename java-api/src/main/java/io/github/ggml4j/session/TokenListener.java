package io.github.ggml4j.session;

/**
 * Receives generated tokens as they come. Called on the generating thread, between decode steps; an
 * exception thrown here stops generation and propagates to the caller.
 */
@FunctionalInterface
public interface TokenListener {

    /**
     * @param tokenId the token
     * @param text    the text this token completes (empty while a multi-byte character is incomplete)
     */
    void onToken(int tokenId, String text);
}
