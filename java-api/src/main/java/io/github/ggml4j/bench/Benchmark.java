package io.github.ggml4j.bench;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * Measures prompt processing and generation speed the way llama-bench does, so the figures compare: random
 * tokens (BOS first when the model adds one), one warm-up run, the context sized to the test, the cache
 * cleared before each repetition, rates averaged over repetitions.
 *
 * {@snippet :
 * List<BenchResult> results = Benchmark.run(model, BenchOptions.defaults(2));
 * }
 */
public final class Benchmark {

    private Benchmark() {
    }

    /**
     * Runs the tests on a model loaded with the benchmark's threads, micro-batch size and flash attention
     * ({@link #modelOptions}), so the figures are for the configuration they are labelled with.
     *
     * @throws IllegalArgumentException if the model was loaded with other engine settings
     */
    public static List<BenchResult> run(Model model, BenchOptions o) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(o, "options");
        ModelOptions mo = model.options();
        if (mo.threads() != o.threads() || mo.batchSize() != o.batchSize() || mo.flashAttention() != o.flashAttention()) {
            throw new IllegalArgumentException("the model was loaded with " + mo.threads() + " threads, micro-batch "
                    + mo.batchSize() + ", flash attention " + mo.flashAttention() + "; the benchmark asks for "
                    + o.threads() + ", " + o.batchSize() + ", " + o.flashAttention() + " (load it with modelOptions(...))");
        }
        List<BenchResult> results = new ArrayList<>();
        if (o.promptTokens() > 0) {
            results.add(prompt(model, o));
        }
        if (o.genTokens() > 0) {
            results.add(generation(model, o));
        }
        return results;
    }

    /** {@code base} with the benchmark's engine settings and a context that fits its tests. */
    public static ModelOptions modelOptions(ModelOptions base, BenchOptions o) {
        return base.withThreads(o.threads()).withBatchSize(o.batchSize()).withFlashAttention(o.flashAttention())
                .withContextSize(Math.max(base.contextSize(), o.depth() + Math.max(o.promptTokens(), o.genTokens())))
                .withCachedPrompts(0);
    }

    private static SessionOptions session(BenchOptions o, int context) {
        return SessionOptions.defaults().withContextSize(context);
    }

    private static final int WARM_TOKENS = 1024;
    private static final int WARM_PROMPT_TOKENS = 8192;
    private static final long WARM_NANOS = 3_000_000_000L;

    private static BenchResult prompt(Model model, BenchOptions o) {
        int n = o.promptTokens();
        Random random = new Random(1);
        int vocab = model.info().hyperParameters().vocabularySize();
        int bos = model.beginOfSequenceToken();
        double[] rates = new double[o.repetitions()];
        try (Session s = model.newSession(session(o, o.depth() + n))) {
            // untimed warm-up repetitions (r < 0), at least one, until WARM_PROMPT_TOKENS or WARM_NANOS: llama-bench
            // runs one; here the input-filling loops (a mask of n x n cells a step) must also reach the JIT's
            // optimizing tier first, which one repetition of a small model's prompt does not give them
            long warmStart = System.nanoTime();
            int warmTokens = 0;
            for (int r = -1; r < o.repetitions(); r++) {
                s.clear();
                prefill(s, o.depth(), random, vocab, bos);
                int[] tokens = randomTokens(random, n, vocab, o.depth() > 0 ? -1 : bos);
                long t0 = System.nanoTime();
                s.evaluate(tokens);
                if (r >= 0) {
                    rates[r] = n * 1e9 / (System.nanoTime() - t0);
                } else {
                    warmTokens += n;
                    if (warmTokens < WARM_PROMPT_TOKENS && System.nanoTime() - warmStart < WARM_NANOS) {
                        r--; // another warm-up repetition
                    }
                }
            }
        }
        return summarize("pp" + n + at(o), n, rates);
    }

    private static BenchResult generation(Model model, BenchOptions o) {
        int n = o.genTokens();
        Random random = new Random(2);
        int vocab = model.info().hyperParameters().vocabularySize();
        int bos = model.beginOfSequenceToken();
        double[] rates = new double[o.repetitions()];
        try (Session s = model.newSession(session(o, o.depth() + n))) {
            // untimed warm-up repetitions (r < 0) until the per-token Java path has run often enough for the JIT's
            // optimizing tier (about a thousand calls) or for 2 s, at least one: a JVM needs that before its
            // steady state is measured, as JMH does
            long warmStart = System.nanoTime();
            int warmTokens = 0;
            for (int r = -1; r < o.repetitions(); r++) {
                s.clear();
                prefill(s, o.depth(), random, vocab, bos);
                int token = bos >= 0 && o.depth() == 0 ? bos : random.nextInt(vocab);
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    s.evaluate(token);
                    token = random.nextInt(vocab);
                }
                if (r >= 0) {
                    rates[r] = n * 1e9 / (System.nanoTime() - t0);
                } else {
                    warmTokens += n;
                    if (warmTokens < WARM_TOKENS && System.nanoTime() - warmStart < WARM_NANOS) {
                        r--; // another warm-up repetition
                    }
                }
            }
        }
        return summarize("tg" + n + at(o), n, rates);
    }

    /** The untimed context of a test at a depth, as llama-bench prepares it. */
    private static void prefill(Session s, int depth, Random random, int vocab, int bos) {
        if (depth > 0) {
            s.evaluate(randomTokens(random, depth, vocab, bos));
        }
    }

    /** llama-bench's label suffix for a depth. */
    private static String at(BenchOptions o) {
        return o.depth() > 0 ? " @ d" + o.depth() : "";
    }

    private static int[] randomTokens(Random random, int n, int vocab, int bos) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = i == 0 && bos >= 0 ? bos : random.nextInt(vocab);
        }
        return t;
    }

    private static BenchResult summarize(String test, int tokens, double[] rates) {
        double mean = 0;
        for (double r : rates) {
            mean += r;
        }
        mean /= rates.length;
        double var = 0;
        for (double r : rates) {
            var += (r - mean) * (r - mean);
        }
        double sd = rates.length > 1 ? Math.sqrt(var / (rates.length - 1)) : 0;
        return new BenchResult(test, tokens, mean, sd, rates.length);
    }
}
