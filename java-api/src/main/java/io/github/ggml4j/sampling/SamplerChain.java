package io.github.ggml4j.sampling;

import io.github.ggml4j.grammar.Grammar;
import io.github.ggml4j.grammar.GrammarException;
import io.github.ggml4j.grammar.GrammarSampler;
import io.github.ggml4j.tokenizer.Tokenizer;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The samplers of one generation, in llama.cpp's order (logit bias, penalties, DRY, top-k, typical-p, top-p,
 * min-p, XTC, temperature, seeded draw), with their state (the penalties' window, the generator). Not thread-safe: one
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
    private final GrammarSampler grammar;
    private boolean generating; // the grammar advances on tokens accepted after the first sample, not the prompt's
    private boolean[] allowed;

    private SamplerChain(SamplingOptions o, Tokenizer tokenizer, Grammar g) {
        this.grammar = g == null ? null : g.sampler(Objects.requireNonNull(tokenizer, "a grammar needs a tokenizer"));
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
        if (o.dry().enabled()) {
            samplers.add(new Dry(o.dry(), tokenizer));
        }
        samplers.add(new TopK(o.topK()));
        samplers.add(new TypicalP(o.typicalP(), 0));
        samplers.add(new TopP(o.topP(), 0));
        samplers.add(new MinP(o.minP(), 0));
        samplers.add(new Xtc(o.xtcProbability(), o.xtcThreshold(), 0, o.seed()));
        samplers.add(new Temperature(o.temperature(), o.dynatempRange(), o.dynatempExponent()));
        samplers.add(new Dist(o.seed()));
    }

    /** A chain without a vocabulary: DRY then has no sequence breakers. */
    public static SamplerChain of(SamplingOptions options) {
        return new SamplerChain(Objects.requireNonNull(options, "options"), null, null);
    }

    /** A chain whose DRY sampler finds its sequence breakers in {@code tokenizer}'s vocabulary. */
    public static SamplerChain of(SamplingOptions options, Tokenizer tokenizer) {
        return new SamplerChain(Objects.requireNonNull(options, "options"), tokenizer, null);
    }

    /**
     * A chain constrained by {@code grammar} (null: none) over {@code tokenizer}'s vocabulary. Tokens accepted
     * before the first {@link #sample} are context (the prompt); those after are the output the grammar parses.
     * As llama.cpp's common sampler: the chain draws a token, the grammar checks that one token, and only if it
     * does not fit is the vocabulary filtered by the grammar and the draw repeated.
     */
    public static SamplerChain of(SamplingOptions options, Tokenizer tokenizer, Grammar grammar) {
        return new SamplerChain(Objects.requireNonNull(options, "options"), tokenizer, grammar);
    }

    /** Tells every sampler about tokens in the context (the prompt's, then each generated one). */
    public void accept(int... tokens) {
        for (int t : tokens) {
            for (Sampler s : samplers) {
                s.accept(t);
            }
            if (grammar != null && generating) {
                grammar.accept(t);
            }
        }
    }

    /** The next token for these logits (one per vocabulary entry; not modified). */
    public int sample(float[] logits) {
        return sample(FloatBuffer.wrap(logits));
    }

    /**
     * The next token for the logits from position 0 to the limit of {@code logits} (not modified, and not copied:
     * a direct buffer over the model's output is read where it lies).
     *
     * @throws io.github.ggml4j.GenerationException if a logit is NaN or positive infinity (broken weights)
     */
    public int sample(FloatBuffer logits) {
        return sample(logits, true);
    }

    /** As {@link #sample(float[])} without the one-pass first stage (for tests comparing the two). */
    int sampleStepByStep(float[] logits) {
        return sample(FloatBuffer.wrap(logits), false);
    }

    private int sample(FloatBuffer logits, boolean fused) {
        generating = true;
        int t = draw(logits, fused);
        if (grammar == null || !grammar.active() || grammar.allows(t)) {
            return t;
        }
        // the draw does not fit: filter the vocabulary by the grammar, then draw again
        int n = logits.limit();
        if (n != grammar.vocabSize()) {
            throw new GrammarException("the logits cover " + n + " tokens, the grammar's vocabulary "
                    + grammar.vocabSize());
        }
        if (allowed == null) {
            allowed = new boolean[n];
        }
        if (grammar.mask(allowed) == 0) {
            throw new GrammarException("no token of the vocabulary can continue the grammar here");
        }
        float[] masked = new float[n];
        for (int i = 0; i < n; i++) {
            masked[i] = allowed[i] ? logits.get(i) : Float.NEGATIVE_INFINITY;
        }
        return draw(FloatBuffer.wrap(masked), fused);
    }

    private int draw(FloatBuffer logits, boolean fused) {
        if (candidates == null) {
            candidates = new Candidates(Math.min(logits.limit(), 1024));
        }
        Candidates c = candidates;
        int from = fused ? fusedTopK(c, logits) : -1;
        if (from < 0) {
            c.reset(logits);
            from = 0;
        }
        for (int i = from; i < samplers.size(); i++) {
            samplers.get(i).apply(c);
        }
        if (c.selected < 0) {
            throw new IllegalStateException("no token is left to sample");
        }
        return c.id[c.selected];
    }

    /**
     * When the chain starts with (logit bias,) penalties, (DRY,) top-k, as the default chain does, runs those in one
     * pass: they change a few tokens' logits, then keep k; the whole vocabulary is never copied. Returns the index
     * of the first sampler still to run, or -1 when the chain has another shape.
     */
    private int fusedTopK(Candidates c, FloatBuffer logits) {
        int i = 0;
        LogitBias bias = i < samplers.size() && samplers.get(i) instanceof LogitBias b ? b : null;
        if (bias != null) {
            i++;
        }
        Penalties pen = i < samplers.size() && samplers.get(i) instanceof Penalties p ? p : null;
        if (pen != null) {
            i++;
        }
        Dry dry = i < samplers.size() && samplers.get(i) instanceof Dry d ? d : null;
        if (dry != null) {
            i++;
        }
        if (i >= samplers.size() || !(samplers.get(i) instanceof TopK topK) || topK.k() <= 0
                || topK.k() >= logits.limit()) {
            return -1;
        }
        java.util.TreeSet<Integer> touched = new java.util.TreeSet<>();
        if (bias != null) {
            touched.addAll(bias.bias().keySet());
        }
        boolean penalize = pen != null && pen.active();
        if (penalize) {
            touched.addAll(pen.tokens());
        }
        java.util.Map<Integer, Float> dryPenalty = dry == null ? java.util.Map.of() : dry.penalties();
        touched.addAll(dryPenalty.keySet());
        int n = logits.limit();
        touched.removeIf(t -> t < 0 || t >= n);
        int[] ids = new int[touched.size()];
        float[] values = new float[ids.length];
        int j = 0;
        for (int t : touched) {
            float v = logits.get(t);
            Candidates.checkFinite(v, t);
            if (bias != null) {
                Float b = bias.bias().get(t);
                if (b != null) {
                    v += b;
                }
            }
            if (penalize) {
                v = pen.adjust(t, v);
            }
            Float d = dryPenalty.get(t);
            if (d != null) {
                v -= d;
            }
            ids[j] = t;
            values[j++] = v;
        }
        c.topK(logits, topK.k(), ids, values);
        return i + 1;
    }
}
