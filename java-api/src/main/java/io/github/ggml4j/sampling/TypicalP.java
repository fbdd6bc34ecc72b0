package io.github.ggml4j.sampling;

import java.util.Arrays;
import java.util.Comparator;

/** Locally typical sampling: tokens whose surprise is closest to the entropy, up to a probability mass p. */
final class TypicalP implements Sampler {

    private final float p;
    private final int minKeep;

    TypicalP(float p, int minKeep) {
        this.p = p;
        this.minKeep = minKeep;
    }

    @Override
    public void apply(Candidates c) {
        if (p >= 1.0f) {
            return;
        }
        c.softmax(true);
        float entropy = 0;
        for (int i = 0; i < c.size; i++) {
            entropy += -c.p[i] * (float) Math.log(c.p[i]);
        }
        float[] shifted = new float[c.size];
        for (int i = 0; i < c.size; i++) {
            shifted[i] = Math.abs(-(float) Math.log(c.p[i]) - entropy);
        }
        Integer[] order = new Integer[c.size];
        for (int i = 0; i < c.size; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> shifted[i]));
        float cum = 0;
        int last = order.length;
        for (int i = 0; i < order.length; i++) {
            cum += c.p[order[i]];
            if (cum > p && (minKeep == 0 || i >= minKeep - 1)) {
                last = i + 1;
                break;
            }
        }
        int[] keep = new int[last];
        for (int i = 0; i < last; i++) {
            keep[i] = order[i];
        }
        c.keep(keep, last);
        c.sorted = false;
    }
}
