package io.github.ggml4j.session;

/**
 * One element of a {@link Session#stream token stream}: a generated token and the text it completes, or, as
 * the last element, the end of generation with its reason.
 *
 * @param id           the token id; -1 for the final element
 * @param text         the text this token completes (empty while a multi-byte character is incomplete, or
 *                     while it may be the start of a stop string); for the final element, any text held back
 * @param finishReason null while generating; why generation stopped on the final element
 * @param logprob      the token's log-probability under the model (before sampling), NaN unless asked for
 *                     ({@link GenerateOptions#withLogprobs})
 * @param alternatives the most likely tokens at this step with their log-probabilities, most likely first;
 *                     empty unless asked for
 */
public record Token(int id, String text, FinishReason finishReason, float logprob, java.util.List<Alternative> alternatives) {

    /** A candidate token and its log-probability. */
    public record Alternative(int id, float logprob) {
    }

    public Token {
        java.util.Objects.requireNonNull(text, "text");
        alternatives = java.util.List.copyOf(alternatives);
    }

    /** A token without log-probabilities. */
    public Token(int id, String text, FinishReason finishReason) {
        this(id, text, finishReason, Float.NaN, java.util.List.of());
    }

    /** Whether this is the final element, which ends the stream. */
    public boolean isEnd() {
        return finishReason != null;
    }
}
