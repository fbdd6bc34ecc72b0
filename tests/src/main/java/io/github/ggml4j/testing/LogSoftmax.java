package io.github.ggml4j.testing;

/** Log-probabilities from logits, in float64 (the reference the beam-search tests score sequences with). */
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
