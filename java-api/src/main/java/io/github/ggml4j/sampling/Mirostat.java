package io.github.ggml4j.sampling;

/**
 * Mirostat (v1) and Mirostat 2.0: keeps the surprise of the sampled tokens near a target by a feedback on mu,
 * truncating the candidates each step; draws as {@code std::discrete_distribution} does, seeded.
 */
final class Mirostat implements Sampler {

    private final int version;
    private final float tau;
    private final float eta;
    private final int m;
    private final Mt19937 rng;
    private float mu;

    Mirostat(int version, long seed, float tau, float eta) {
        this.version = version;
        this.tau = tau;
        this.eta = eta;
        this.m = 100;
        this.rng = new Mt19937(seed);
        this.mu = 2.0f * tau;
    }

    @Override
    public void apply(Candidates c) {
        // in its chain only temperature runs first, so the candidates are still the whole vocabulary
        int nVocab = c.size;
        c.softmax(true);
        if (version == 1) {
            float sumTiBi = 0;
            float sumTiSq = 0;
            for (int i = 0; i < m - 1 && i < c.size - 1; i++) {
                float ti = (float) Math.log((float) (i + 2) / (float) (i + 1));
                float bi = (float) Math.log(c.p[i] / c.p[i + 1]);
                sumTiBi += ti * bi;
                sumTiSq += ti * ti;
            }
            float sHat = sumTiBi / sumTiSq;
            float epsilonHat = sHat - 1;
            float k = (float) Math.pow((epsilonHat * (float) Math.pow(2, mu)) / (1 - (float) Math.pow(nVocab, -epsilonHat)),
                    1 / sHat);
            int keep = Math.max((int) k, 1);
            c.size = Math.min(keep, c.size);
        } else {
            int n = 0;
            while (n < c.size && !(-log2(c.p[n]) > mu)) {
                n++;
            }
            c.size = Math.max(n, 1);
        }
        c.softmax(true);
        int idx = rng.discrete(c.p, c.size);
        c.selected = idx;
        float observed = -log2(c.p[idx]);
        mu = mu - eta * (observed - tau);
    }

    private static float log2(float x) {
        return (float) (Math.log(x) / Math.log(2));
    }
}
