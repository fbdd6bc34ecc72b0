package io.github.ggml4j.session;

import io.github.ggml4j.CancelledException;
import io.github.ggml4j.GenerationException;
import io.github.ggml4j.ResourceClosedException;
import io.github.ggml4j.runtime.Engine;
import io.github.ggml4j.runtime.Sequence;
import io.github.ggml4j.sampling.SamplerChain;
import io.github.ggml4j.tokenizer.StreamingDecoder;
import io.github.ggml4j.tokenizer.Tokenizer;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * One generation, one token per {@link #advance()}: evaluates the prompt first, then each step feeds the
 * previous token and picks the next, until end of generation, a stop string, the token limit or a full context.
 * Both {@link Session#generate} and {@link Session#stream} run on it. Not thread-safe; the session serializes.
 */
final class Generator {

    private final Engine engine;
    private final Sequence seq;
    private final int[] prompt;
    private final GenerateOptions options;
    private final Tokenizer tokenizer;
    private final StreamingDecoder text;
    private final StopMatcher stops;
    private final BooleanSupplier closing;
    private final BooleanSupplier cancelled;
    private final SamplerChain chain;
    private int[] out;
    private int n;
    private int last = -1;
    private boolean started;
    private FinishReason pendingEnd;
    private boolean done;
    private int reused;
    private boolean generationEnded;
    private float[] scratch;
    private long t0;
    private long t1;
    private long t2;

    Generator(Engine engine, Sequence seq, int[] prompt, GenerateOptions options, Tokenizer tokenizer,
              BooleanSupplier closing, BooleanSupplier cancelled) {
        this.engine = engine;
        this.seq = seq;
        this.prompt = prompt;
        this.options = options;
        this.tokenizer = tokenizer;
        this.text = tokenizer == null ? null : tokenizer.streamingDecoder(true);
        this.stops = new StopMatcher(options.stop());
        this.closing = closing;
        this.cancelled = cancelled;
        this.out = new int[Math.min(options.maxTokens(), 1024)];
        if (options.grammar() != null && tokenizer == null) {
            throw new IllegalArgumentException("a grammar needs the model's tokenizer");
        }
        this.chain = options.sampling().isGreedy() && options.processor() == null && options.grammar() == null
                ? null : SamplerChain.of(options.sampling(), tokenizer, options.grammar());
    }

    boolean done() {
        return done;
    }

    /** The next token, or the final element; null once that was returned. */
    Token advance() {
        if (done) {
            return null;
        }
        if (pendingEnd != null) {
            return end(pendingEnd);
        }
        if (!started) {
            started = true;
            t0 = System.nanoTime();
            // generating from here on: the step after the prompt's waits for the first token, as for any other
            seq.generating(true);
            if (prompt.length > 0) {
                engine.decode(seq, prompt, false);
                reused = engine.lastReused(seq);
            }
            t1 = System.nanoTime();
            if (chain != null) {
                chain.accept(seq.tokens()); // the penalties see the context, prompt included, as llama.cpp's do
            }
        } else {
            if (closing.getAsBoolean()) {
                throw new ResourceClosedException("session closed during generation");
            }
            if (cancelled.getAsBoolean()) {
                // requested between steps (e.g. from a listener): no compute was running to stop
                throw new CancelledException("generation cancelled after " + n + " tokens");
            }
            engine.decode(seq, new int[] {last}, false);
        }
        float[] logits = null;
        int next;
        if (options.processor() != null || options.logprobs() > 0) {
            logits = seq.lastOutput();
            if (options.processor() != null) {
                logits = logits.clone(); // the user edits a copy; the session's logits stay the model's
                options.processor().process(seq.tokens(), logits);
            }
            next = chain == null ? argmax(logits, logits.length) : sample(FloatBuffer.wrap(logits));
        } else {
            // the logits stay in native memory: greedy and the sampler chain read them there
            // greedy picks where the row is, by libggml4j's vector loop
            int picked = chain == null ? seq.greedyPick() : -1;
            if (picked >= 0) {
                next = picked;
            } else if (chain == null) {
                // a row on the heap (a restored state) or with a non-finite logit, which this loop reports: one
                // bulk copy, then a loop over an array, 2.5x faster
                // than reading the buffer per element under the client compiler alone, as fast under C2
                FloatBuffer view = seq.lastOutputForSampling();
                int n = view.limit();
                if (scratch == null || scratch.length < n) {
                    scratch = new float[n];
                }
                view.get(0, scratch, 0, n);
                next = argmax(scratch, n);
            } else {
                next = sample(seq.lastOutputForSampling());
            }
        }
        if (tokenizer != null && tokenizer.isEndOfGeneration(next)) {
            return end(FinishReason.END_OF_GENERATION);
        }
        if (n == out.length) {
            out = Arrays.copyOf(out, Math.min(options.maxTokens(), out.length * 2));
        }
        out[n++] = next;
        last = next;
        String emitted = stops.accept(text == null ? "" : text.next(next));
        if (stops.matched()) {
            pendingEnd = FinishReason.STOP_STRING;
        } else if (n >= options.maxTokens()) {
            pendingEnd = FinishReason.MAX_TOKENS;
        } else if (seq.position() >= seq.limit()) {
            pendingEnd = FinishReason.CONTEXT_FULL;
        }
        if (pendingEnd != null) {
            endGeneration(); // no token follows: the next step need not wait for one
        }
        if (options.logprobs() > 0) {
            return withLogprobs(next, emitted, logits);
        }
        return new Token(next, emitted, null);
    }

    /** The token's log-probability under the model's own distribution, and the most likely alternatives. */
    private Token withLogprobs(int next, String emitted, float[] logits) {
        double logZ = LogProbs.logNormalizer(logits);
        int[] best = LogProbs.top(logits, options.logprobs());
        java.util.List<Token.Alternative> alts = new java.util.ArrayList<>(best.length);
        for (int id : best) {
            alts.add(new Token.Alternative(id, (float) (logits[id] - logZ)));
        }
        return new Token(next, emitted, null, (float) (logits[next] - logZ), alts);
    }

    private int sample(FloatBuffer logits) {
        int t = chain.sample(logits); // checks that every logit is finite
        chain.accept(t);
        return t;
    }

    /** The final element of a stream that {@link Session#cancel()} stopped. */
    Token cancelledEnd() {
        return done ? null : end(FinishReason.CANCELLED);
    }

    /** Tells the engine, once, that this sequence submits no more tokens. */
    private void endGeneration() {
        if (!generationEnded) {
            generationEnded = true;
            engine.endGeneration(seq);
        }
    }

    private Token end(FinishReason reason) {
        done = true;
        endGeneration();
        t2 = System.nanoTime();
        String tail = stops.matched() ? "" : stops.finish(text == null ? "" : text.finish());
        return new Token(-1, tail, reason);
    }

    /** The whole generation once done, its text being what the tokens and the final element carried. */
    Generation result(String produced, FinishReason reason) {
        return new Generation(produced, Arrays.copyOf(out, n), prompt.length, reason, t1 - t0, t2 - t1, reused);
    }

    /**
     * The most likely token; ties go to the lowest id. Non-finite logits mean broken weights (NaN/Inf) and stop
     * generation instead of emitting garbage.
     */
    static int argmax(float[] logits, int n) {
        // unrolled by four, the non-finite test folded into sums (x - x is 0 for finite x, NaN for NaN and the
        // infinities): 2.2x faster under the client compiler the CLI runs on few cores (40 vs 90 us for 32k
        // logits), 1.3x under C2; ties still go to the lowest id, as each lane is compared in order
        int best = -1;
        float bestValue = Float.NEGATIVE_INFINITY;
        float z0 = 0;
        float z1 = 0;
        float z2 = 0;
        float z3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            float a = logits[i];
            float b = logits[i + 1];
            float c = logits[i + 2];
            float d = logits[i + 3];
            if (a > bestValue) {
                best = i;
                bestValue = a;
            }
            if (b > bestValue) {
                best = i + 1;
                bestValue = b;
            }
            if (c > bestValue) {
                best = i + 2;
                bestValue = c;
            }
            if (d > bestValue) {
                best = i + 3;
                bestValue = d;
            }
            z0 += a - a;
            z1 += b - b;
            z2 += c - c;
            z3 += d - d;
        }
        for (; i < n; i++) {
            float a = logits[i];
            if (a > bestValue) {
                best = i;
                bestValue = a;
            }
            z0 += a - a;
        }
        if ((z0 + z1) + (z2 + z3) != 0) { // NaN compares unequal
            for (int j = 0; j < n; j++) {
                float v = logits[j];
                if (!Float.isFinite(v)) {
                    throw new GenerationException("the model produced a non-finite logit (" + v + ") for token " + j
                            + "; its weights are probably broken (NaN or Inf)");
                }
            }
        }
        return best;
    }
}
