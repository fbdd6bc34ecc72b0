package io.github.ggml4j.sampling;

/** Divides the logits by the temperature; at 0 or below only the most likely token stays possible. */
final class Temperature implements Sampler {

    private final float temperature;

    Temperature(float temperature) {
        this.temperature = temperature;
    }

    @Override
    public void apply(Candidates c) {
        if (c.size == 0) {
            return;
        }
        if (temperature <= 0.0f) {
            int maxI = 0;
            float max = c.logit[0];
            for (int i = 1; i < c.size; i++) {
                if (c.logit[i] > max) {
                    c.logit[maxI] = Float.NEGATIVE_INFINITY;
                    maxI = i;
                    max = c.logit[i];
                } else {
                    c.logit[i] = Float.NEGATIVE_INFINITY;
                }
            }
            return;
        }
        for (int i = 0; i < c.size; i++) {
            c.logit[i] /= temperature;
        }
    }
}
