package io.github.ggml4j.cli;

/** llama.cpp's {@code --embd-normalize} choices, and cosine similarity. */
final class Normalization {

    private Normalization() {
    }

    /**
     * {@code v} normalised as llama.cpp's {@code common_embd_normalize}: -1 none, 0 scaled so the largest
     * absolute value is 32760 (int16 range), 1 taxicab, 2 euclidean, p > 2 the p-norm; a zero vector stays zero.
     */
    static float[] apply(float[] v, int mode) {
        double sum = 0;
        switch (mode) {
            case -1 -> sum = 1;
            case 0 -> {
                for (float x : v) {
                    sum = Math.max(sum, Math.abs(x));
                }
                sum /= 32760.0;
            }
            case 2 -> {
                for (float x : v) {
                    sum += (double) x * x;
                }
                sum = Math.sqrt(sum);
            }
            default -> {
                for (float x : v) {
                    sum += Math.pow(Math.abs(x), mode);
                }
                sum = Math.pow(sum, 1.0 / mode);
            }
        }
        double norm = sum > 0 ? 1.0 / sum : 0;
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] * norm);
        }
        return out;
    }

    /** Cosine similarity; 0 when either vector is zero. */
    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }
}
