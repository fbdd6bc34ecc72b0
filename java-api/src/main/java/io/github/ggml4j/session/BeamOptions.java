package io.github.ggml4j.session;

/**
 * A beam search: how many hypotheses are kept each step, how long they may grow, and how finished ones of
 * different lengths compare.
 *
 * {@snippet :
 * Generation best = session.beamSearch("Translate: chat ->", new BeamOptions(4, 32, 1.0f, true));
 * }
 *
 * @param width         hypotheses kept per step (1 is greedy decoding)
 * @param maxTokens     the most tokens a hypothesis gets
 * @param lengthPenalty a hypothesis scores its summed log-probability divided by length^lengthPenalty (0: raw sum)
 * @param earlyStopping stop once {@code width} hypotheses have ended with an end-of-generation token
 */
public record BeamOptions(int width, int maxTokens, float lengthPenalty, boolean earlyStopping) {

    public BeamOptions {
        if (width < 1 || width > 64) {
            throw new IllegalArgumentException("beam width must be in 1..64, got " + width);
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be >= 1, got " + maxTokens);
        }
        if (!Float.isFinite(lengthPenalty)) {
            throw new IllegalArgumentException("lengthPenalty must be finite, got " + lengthPenalty);
        }
    }
}
