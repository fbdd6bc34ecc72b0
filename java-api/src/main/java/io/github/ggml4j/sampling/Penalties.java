package io.github.ggml4j.sampling;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Repetition, frequency and presence penalties over the last n tokens (llama.cpp's, with its fix: a positive
 * logit is divided by the repetition penalty, a negative one multiplied).
 */
final class Penalties implements Sampler {

    private final int lastN;
    private final float repeat;
    private final float frequency;
    private final float presence;
    private final ArrayDeque<Integer> window = new ArrayDeque<>();
    private final Map<Integer, Integer> counts = new HashMap<>();

    Penalties(int lastN, float repeat, float frequency, float presence) {
        this.lastN = lastN;
        this.repeat = repeat;
        this.frequency = frequency;
        this.presence = presence;
    }

    @Override
    public void accept(int token) {
        if (lastN == 0) {
            return;
        }
        counts.merge(token, 1, Integer::sum);
        if (window.size() >= lastN) {
            int old = window.removeFirst();
            if (counts.merge(old, -1, Integer::sum) == 0) {
                counts.remove(old);
            }
        }
        window.addLast(token);
    }

    boolean active() {
        return !(lastN == 0 || (repeat == 1.0f && frequency == 0.0f && presence == 0.0f));
    }

    /** The tokens in the window (those whose logits the penalties change). */
    java.util.Set<Integer> tokens() {
        return counts.keySet();
    }

    /** {@code logit} after the penalties for {@code token} (unchanged when it is not in the window). */
    float adjust(int token, float logit) {
        Integer count = counts.get(token);
        if (count == null) {
            return logit;
        }
        float v = logit <= 0 ? logit * repeat : logit / repeat;
        return v - ((float) count * frequency + (count > 0 ? 1.0f : 0.0f) * presence);
    }

    @Override
    public void apply(Candidates c) {
        if (!active()) {
            return;
        }
        for (int i = 0; i < c.size; i++) {
            Integer count = counts.get(c.id[i]);
            if (count == null) {
                continue;
            }
            if (c.logit[i] <= 0) {
                c.logit[i] *= repeat;
            } else {
                c.logit[i] /= repeat;
            }
            c.logit[i] -= (float) count * frequency + (count > 0 ? 1.0f : 0.0f) * presence;
        }
        c.sorted = false;
    }
}
