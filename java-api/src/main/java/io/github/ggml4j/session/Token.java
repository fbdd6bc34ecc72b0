package io.github.ggml4j.session;

/**
 * One element of a {@link Session#stream token stream}: a generated token and the text it completes, or, as
 * the last element, the end of generation with its reason.
 *
 * @param id           the token id; -1 for the final element
 * @param text         the text this token completes (empty while a multi-byte character is incomplete, or
 *                     while it may be the start of a stop string); for the final element, any text held back
 * @param finishReason null while generating; why generation stopped on the final element
 */
public record Token(int id, String text, FinishReason finishReason) {

    public Token {
        java.util.Objects.requireNonNull(text, "text");
    }

    /** Whether this is the final element, which ends the stream. */
    public boolean isEnd() {
        return finishReason != null;
    }
}
