package io.github.ggml4j.testing;

/**
 * Log-probabilities from logits, in float64: the tests' reference for scores and log-probs, written apart from
 * the session's own {@code LogProbs} on purpose (a test must not check the code under test against itself).
 */
public final class LogSoftmax {

    private LogSoftmax() {
    }

    /** log softmax(logits)[token]. */
    public static double of(float[] logits, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double z = 0;
        for (float v : logits) {
            z += Math.exp(v - max);
        }
        return logits[token] - max - Math.log(z);
    }
}
