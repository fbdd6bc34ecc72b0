package io.github.ggml4j.session;

import java.util.Objects;

/**
 * The result of a generation.
 *
 * @param text              the generated text (without the prompt)
 * @param tokens            the generated token ids (an end-of-generation token is not included)
 * @param promptTokens      how many prompt tokens were evaluated
 * @param finishReason      why generation stopped
 * @param promptNanos       time spent evaluating the prompt
 * @param generationNanos   time spent generating
 * @param reusedPromptTokens prompt tokens not computed because another session (or a cached prompt) of the
 *                          same model already held them (prefix reuse); included in promptTokens
 */
public record Generation(String text, int[] tokens, int promptTokens, FinishReason finishReason, long promptNanos,
                         long generationNanos, int reusedPromptTokens) {

    public Generation {
        Objects.requireNonNull(text);
        Objects.requireNonNull(finishReason);
        tokens = tokens.clone();
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    /** Prompt tokens per second. */
    public double promptTokensPerSecond() {
        return promptNanos == 0 ? 0 : promptTokens * 1e9 / promptNanos;
    }

    /** Generated tokens per second. */
    public double generationTokensPerSecond() {
        return generationNanos == 0 ? 0 : tokens.length * 1e9 / generationNanos;
    }
}
