package io.github.ggml4j.sampling;

/** Keeps the tokens at least p times as likely as the most likely one. */
final class MinP implements Sampler {

    private final float p;
    private final int minKeep;

    MinP(float p, int minKeep) {
        this.p = p;
        this.minKeep = minKeep;
    }

    @Override
    public void apply(Candidates c) {
        if (p <= 0.0f || c.size == 0) {
            return;
        }
        if (!c.sorted) {
            float max = -Float.MAX_VALUE;
            for (int i = 0; i < c.size; i++) {
                max = Math.max(max, c.logit[i]);
            }
            float min = max + (float) Math.log(p);
            int[] keep = new int[c.size];
            int n = 0;
            for (int i = 0; i < c.size; i++) {
                if (c.logit[i] >= min) {
                    keep[n++] = i;
                }
            }
            if (n > 0 && n >= minKeep) {
                c.keep(keep, n);
                return;
            }
            c.partialSort(c.size);
        }
        float min = c.logit[0] + (float) Math.log(p);
        int i = 1;
        for (; i < c.size; i++) {
            if (c.logit[i] < min && i >= minKeep) {
                break;
            }
        }
        c.size = i;
    }
}
