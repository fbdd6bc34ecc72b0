package io.github.ggml4j.sampling;

/**
 * "Exclude top choices": with a given chance per token, removes every token above the threshold but the least
 * likely of them, steering away from the most predictable continuations. Its own generator, seeded like the
 * draw's, as llama.cpp's.
 */
final class Xtc implements Sampler {

    private final float probability;
    private final float threshold;
    private final int minKeep;
    private final Mt19937 rng;

    Xtc(float probability, float threshold, int minKeep, long seed) {
        this.probability = probability;
        this.threshold = threshold;
        this.minKeep = minKeep;
        this.rng = new Mt19937(seed);
    }

    @Override
    public void apply(Candidates c) {
        if (probability <= 0.0f || threshold > 0.5f || c.size < 2) {
            return;
        }
        float chance = rng.nextFloat();
        if (chance > probability) {
            return;
        }
        c.softmax(true);
        int last = 0;
        for (int i = 0; i < c.size; i++) {
            if (c.p[i] >= threshold) {
                last = i;
            } else {
                break;
            }
        }
        if (c.size - last >= minKeep && last > 0) {
            c.dropFirst(last);
        }
    }
}
