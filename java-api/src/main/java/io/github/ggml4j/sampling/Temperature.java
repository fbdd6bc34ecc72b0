package io.github.ggml4j.sampling;

/** Divides the logits by the temperature; at 0 or below only the most likely token stays possible. */
final class Temperature implements Sampler {

    private final float temperature;
    private final float delta;
    private final float exponent;

    Temperature(float temperature) {
        this(temperature, 0, 1);
    }

    /** With a dynamic range: the temperature moves within +- delta by the normalized entropy. */
    Temperature(float temperature, float delta, float exponent) {
        this.temperature = temperature;
        this.delta = delta;
        this.exponent = exponent;
    }

    @Override
    public void apply(Candidates c) {
        if (delta > 0) {
            dynamic(c);
            return;
        }
        scale(c, temperature);
    }

    private void dynamic(Candidates c) {
        float minTemp = Math.max(0.0f, temperature - delta);
        float maxTemp = temperature + delta;
        if (c.size <= 1) {
            return;
        }
        float maxEntropy = -(float) Math.log(1.0f / c.size);
        c.softmax(true);
        float entropy = 0;
        for (int i = 0; i < c.size; i++) {
            float prob = c.p[i];
            if (prob > 0.0f) {
                entropy -= prob * (float) Math.log(prob);
            }
        }
        float normalized = entropy / maxEntropy;
        float dynTemp = minTemp + (maxTemp - minTemp) * (float) Math.pow(normalized, exponent);
        scale(c, dynTemp);
        double max = c.logit[0];
        double cum = 0;
        for (int i = 0; i < c.size; i++) {
            double e = Math.exp(c.logit[i] - max);
            c.p[i] = (float) e;
            cum += e;
        }
        for (int i = 0; i < c.size; i++) {
            c.p[i] = (float) (c.p[i] / cum);
        }
    }

    private static void scale(Candidates c, float temperature) {
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
