package io.github.ggml4j.sampling;

/**
 * Draws a token from the softmax of the remaining candidates with a seeded Mersenne Twister, summing as
 * llama.cpp's dist sampler does (float probabilities, double running sums), so the same seed and chain give
 * the same token.
 */
final class Dist implements Sampler {

    private final Mt19937 rng;

    Dist(long seed) {
        this.rng = new Mt19937(seed);
    }

    @Override
    public void apply(Candidates c) {
        if (c.size == 0) {
            c.selected = -1;
            return;
        }
        c.selected = 0;
        if (c.size == 1) {
            rng.nextDouble(); // one draw per token, as llama.cpp keeps its RNG aligned
            c.p[0] = 1.0f;
            return;
        }
        float max = c.logit[0];
        if (!c.sorted) {
            for (int i = 1; i < c.size; i++) {
                max = Math.max(max, c.logit[i]);
            }
        }
        double sumCum = 0;
        for (int i = 0; i < c.size; i++) {
            float e = (float) Math.exp(c.logit[i] - max);
            c.p[i] = e;
            sumCum += e;
        }
        double target = sumCum * rng.nextDouble();
        double run = 0;
        boolean found = false;
        for (int i = 0; i < c.size; i++) {
            if (!found) {
                run += c.p[i];
                if (run >= target) {
                    c.selected = i;
                    found = true;
                }
            }
            c.p[i] = (float) (c.p[i] / sumCum);
        }
        if (!found) {
            c.selected = c.size - 1;
        }
    }
}
