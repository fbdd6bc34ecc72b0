package io.github.ggml4j.sampling;

import java.util.Map;

/** Adds a bias to chosen tokens' logits (-infinity bans a token). */
final class LogitBias implements Sampler {

    private final Map<Integer, Float> bias;

    LogitBias(Map<Integer, Float> bias) {
        this.bias = Map.copyOf(bias);
    }

    Map<Integer, Float> bias() {
        return bias;
    }

    @Override
    public void apply(Candidates c) {
        for (int i = 0; i < c.size; i++) {
            Float b = bias.get(c.id[i]);
            if (b != null) {
                c.logit[i] += b;
            }
        }
    }
}
