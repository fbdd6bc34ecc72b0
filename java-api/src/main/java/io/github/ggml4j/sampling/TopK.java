package io.github.ggml4j.sampling;

/** Keeps the k most likely tokens, sorted. */
final class TopK implements Sampler {

    private final int k;

    TopK(int k) {
        this.k = k;
    }

    int k() {
        return k;
    }

    @Override
    public void apply(Candidates c) {
        if (k <= 0) {
            return;
        }
        int n = Math.min(k, c.size);
        if (!c.sorted) {
            c.partialSort(n);
        }
        c.size = n;
    }
}
