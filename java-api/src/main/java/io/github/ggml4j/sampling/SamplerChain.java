package io.github.ggml4j.sampling;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The samplers of one generation, in llama.cpp's order (logit bias, penalties, top-k, typical-p, top-p, min-p,
 * temperature, seeded draw), with their state (the penalties' window, the generator). Not thread-safe: one
 * per generation.
 *
 * {@snippet :
 * SamplerChain chain = SamplerChain.of(SamplingOptions.defaults().withSeed(7));
 * chain.accept(promptTokens);
 * int next = chain.sample(logits);
 * chain.accept(next);
 * }
 */
public final class SamplerChain {

    private final List<Sampler> samplers = new ArrayList<>();
    private Candidates candidates;

    private SamplerChain(SamplingOptions o) {
        if (!o.logitBias().isEmpty()) {
            samplers.add(new LogitBias(o.logitBias()));
        }
        if (o.mirostat() != 0) {
            // llama.cpp's Mirostat chains: temperature, then Mirostat picks
            samplers.add(new Temperature(o.temperature()));
            samplers.add(new Mirostat(o.mirostat(), o.seed(), o.mirostatTau(), o.mirostatEta()));
            return;
        }
        samplers.add(new Penalties(o.repeatLastN(), o.repeatPenalty(), o.frequencyPenalty(), o.presencePenalty()));
        samplers.add(new TopK(o.topK()));
        samplers.add(new TypicalP(o.typicalP(), 0));
        samplers.add(new TopP(o.topP(), 0));
        samplers.add(new MinP(o.minP(), 0));
        samplers.add(new Xtc(o.xtcProbability(), o.xtcThreshold(), 0, o.seed()));
        samplers.add(new Temperature(o.temperature(), o.dynatempRange(), o.dynatempExponent()));
        samplers.add(new Dist(o.seed()));
    }

    public static SamplerChain of(SamplingOptions options) {
        return new SamplerChain(Objects.requireNonNull(options, "options"));
    }

    /** Tells every sampler about tokens in the context (the prompt's, then each generated one). */
    public void accept(int... tokens) {
        for (int t : tokens) {
            for (Sampler s : samplers) {
                s.accept(t);
            }
        }
    }

    /** The next token for these logits (one per vocabulary entry; not modified). */
    public int sample(float[] logits) {
        if (candidates == null) {
            candidates = new Candidates(logits.length);
        }
        Candidates c = candidates;
        c.reset(logits);
        for (Sampler s : samplers) {
            s.apply(c);
        }
        if (c.selected < 0) {
            throw new IllegalStateException("no token is left to sample");
        }
        return c.id[c.selected];
    }
}
