package io.github.ggml4j.sampling;

/**
 * User code that edits the logits before the sampler chain sees them (bans, boosts, constraints of its own).
 * Called on the generating thread once per token; an exception stops generation and reaches the caller.
 *
 * {@snippet :
 * LogitsProcessor noDigits = (history, logits) -> digitTokens.forEach(t -> logits[t] = Float.NEGATIVE_INFINITY);
 * GenerateOptions o = GenerateOptions.sampled(64, SamplingOptions.defaults()).withLogitsProcessor(noDigits);
 * }
 */
@FunctionalInterface
public interface LogitsProcessor {

    /**
     * @param history the tokens of the context so far (prompt and generated), oldest first; do not modify
     * @param logits  one per vocabulary entry, a copy this call may change
     */
    void process(int[] history, float[] logits);
}
