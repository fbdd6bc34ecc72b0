package io.github.ggml4j.session;

import io.github.ggml4j.runtime.Engine;
import io.github.ggml4j.runtime.Sequence;
import io.github.ggml4j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Beam search over forks of a session's sequence: the beams share their common cells (a fork copies nothing),
 * and each step decodes every surviving beam's next token in the same batch.
 */
final class BeamSearch implements AutoCloseable {

    private record Beam(Sequence seq, int[] tokens, double score) {
    }

    private record Candidate(Beam parent, int token, double score) {
    }

    record Hypothesis(int[] tokens, double score, boolean ended) {
    }

    private final Engine engine;
    private final Tokenizer tokenizer;
    private final BeamOptions options;
    private List<Beam> beams = new ArrayList<>();

    BeamSearch(Engine engine, Tokenizer tokenizer, BeamOptions options) {
        this.engine = engine;
        this.tokenizer = tokenizer;
        this.options = options;
    }

    /**
     * Evaluates the prompt, searches, and leaves {@code seq} holding the prompt and the best continuation (its
     * cells shared with the winning beam, which is still alive when the session takes them).
     */
    static Generation search(Engine engine, Sequence seq, Tokenizer tokenizer, int[] prompt, BeamOptions options) {
        long t0 = System.nanoTime();
        if (prompt.length > 0) {
            engine.decode(seq, prompt, false);
        }
        long t1 = System.nanoTime();
        try (BeamSearch search = new BeamSearch(engine, tokenizer, options)) {
            Hypothesis best = search.run(seq);
            if (best.tokens().length > 0) {
                engine.decode(seq, best.tokens(), false);
            }
            String text = tokenizer == null ? "" : tokenizer.decode(best.tokens());
            return new Generation(text, best.tokens(), prompt.length,
                    best.ended() ? FinishReason.END_OF_GENERATION : FinishReason.MAX_TOKENS, t1 - t0,
                    System.nanoTime() - t1, 0);
        }
    }

    /** The best continuation of {@code seq} (which must have logits), and whether it ended with end of generation. */
    Hypothesis run(Sequence seq) {
        List<Hypothesis> done = new ArrayList<>();
        beams.add(new Beam(engine.fork(seq, seq.limit(), seq.waitWhenFull()), new int[0], 0));
        {
            for (int len = 0; len < options.maxTokens() && !beams.isEmpty(); len++) {
                List<Candidate> candidates = new ArrayList<>();
                for (Beam b : beams) {
                    expand(b, candidates);
                }
                candidates.sort(Comparator.comparingDouble(Candidate::score).reversed());
                List<Candidate> chosen = new ArrayList<>();
                for (Candidate c : candidates) {
                    if (chosen.size() == options.width()) {
                        break;
                    }
                    if (tokenizer != null && tokenizer.isEndOfGeneration(c.token())) {
                        done.add(new Hypothesis(c.parent().tokens(), c.score(), true));
                    } else {
                        chosen.add(c);
                    }
                }
                if (options.earlyStopping() && done.size() >= options.width()) {
                    break;
                }
                beams = advance(beams, chosen);
            }
            for (Beam b : beams) {
                done.add(new Hypothesis(b.tokens(), b.score(), false));
            }
            return done.stream().max(Comparator.comparingDouble(this::normalized)).orElseThrow();
        }
    }

    /** Releases the beams still alive (kept until now so the winner's cells can be shared). */
    @Override
    public void close() {
        for (Beam b : beams) {
            engine.release(b.seq());
        }
        beams = List.of();
    }

    private double normalized(Hypothesis h) {
        return options.lengthPenalty() == 0 || h.tokens().length == 0 ? h.score()
                : h.score() / Math.pow(h.tokens().length, options.lengthPenalty());
    }

    /** The beam's {@code width} best next tokens by summed log-probability. */
    private void expand(Beam b, List<Candidate> out) {
        float[] logits = b.seq().lastOutput();
        for (int i = 0; i < logits.length; i++) {
            if (!Float.isFinite(logits[i])) {
                throw new io.github.ggml4j.GenerationException("the model produced a non-finite logit for token " + i);
            }
        }
        double logZ = LogProbs.logNormalizer(logits);
        int[] best = LogProbs.top(logits, options.width());
        for (int id : best) {
            out.add(new Candidate(b, id, b.score() + (logits[id] - logZ)));
        }
    }

    /** The chosen candidates become the beams: a parent chosen twice is forked first, an unchosen one released. */
    private List<Beam> advance(List<Beam> beams, List<Candidate> chosen) {
        Map<Beam, Integer> uses = new IdentityHashMap<>();
        List<Sequence> seqs = new ArrayList<>();
        for (Candidate c : chosen) {
            int n = uses.merge(c.parent(), 1, Integer::sum);
            Sequence parent = c.parent().seq();
            seqs.add(n == 1 ? parent : engine.fork(parent, parent.limit(), parent.waitWhenFull()));
        }
        for (Beam b : beams) {
            if (!uses.containsKey(b)) {
                engine.release(b.seq());
            }
        }
        List<int[]> tokens = new ArrayList<>();
        List<Beam> next = new ArrayList<>();
        for (int i = 0; i < chosen.size(); i++) {
            Candidate c = chosen.get(i);
            tokens.add(new int[] {c.token()});
            int[] t = Arrays.copyOf(c.parent().tokens(), c.parent().tokens().length + 1);
            t[t.length - 1] = c.token();
            next.add(new Beam(seqs.get(i), t, c.score()));
        }
        if (!next.isEmpty()) {
            try {
                engine.decodeAll(seqs, tokens);
            } catch (RuntimeException e) {
                next.forEach(b -> engine.release(b.seq()));
                throw e;
            }
        }
        return next;
    }
}
