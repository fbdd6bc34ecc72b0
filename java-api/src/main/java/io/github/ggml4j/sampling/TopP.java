package io.github.ggml4j.sampling;

/** Nucleus sampling: the most likely tokens whose probabilities add up to at least p. */
final class TopP implements Sampler {

    private final float p;
    private final int minKeep;

    TopP(float p, int minKeep) {
        this.p = p;
        this.minKeep = minKeep;
    }

    @Override
    public void apply(Candidates c) {
        if (p >= 1.0f) {
            return;
        }
        c.softmax(false);
        if (!c.sorted) {
            c.partialSort(c.size); // the probabilities stay as computed over the whole set
        }
        float cum = 0;
        int last = c.size;
        for (int i = 0; i < c.size; i++) {
            cum += c.p[i];
            if (cum >= p && i + 1 >= minKeep) {
                last = i + 1;
                break;
            }
        }
        c.size = last;
    }
}
