package io.github.ggml4j.session;

import java.util.Arrays;

/** Log-probabilities from logits: the normalizer, and the most likely tokens. Used by log-prob output and beams. */
final class LogProbs {

    private LogProbs() {
    }

    /** log(sum(exp(logits))), computed stably in double. */
    static double logNormalizer(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        return max + Math.log(sum);
    }

    /** The ids of the {@code k} highest logits, highest first (ties: lower id first). */
    static int[] top(float[] logits, int k) {
        k = Math.min(k, logits.length);
        int[] best = new int[k];
        Arrays.fill(best, -1);
        for (int i = 0; i < logits.length; i++) {
            for (int j = 0; j < k; j++) {
                if (best[j] < 0 || logits[i] > logits[best[j]]) {
                    System.arraycopy(best, j, best, j + 1, k - j - 1);
                    best[j] = i;
                    break;
                }
            }
        }
        return best;
    }
}
