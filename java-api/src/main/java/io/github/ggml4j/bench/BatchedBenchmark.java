package io.github.ggml4j.bench;

import io.github.ggml4j.Ggml4jException;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Aggregate throughput of concurrent sessions on one model, measured as llama-batched-bench measures
 * {@code llama_decode}: here each parallel sequence is a real session on its own thread, and the model's engine
 * batches their work. Random tokens; one warm-up; the cache is emptied between configurations.
 *
 * {@snippet :
 * BatchedBenchOptions o = new BatchedBenchOptions(List.of(128), List.of(64), List.of(1, 2, 4, 8), 2, 512, true);
 * try (Model m = Model.load(file, BatchedBenchmark.modelOptions(ModelOptions.defaults(), o))) {
 *     List<BatchedBenchResult> rows = BatchedBenchmark.run(m, o);
 * }
 * }
 */
public final class BatchedBenchmark {

    private BatchedBenchmark() {
    }

    /** {@code base} with the benchmark's engine settings and a cache that holds its largest configuration. */
    public static ModelOptions modelOptions(ModelOptions base, BatchedBenchOptions o) {
        return base.withThreads(o.threads()).withBatchSize(o.batchSize()).withFlashAttention(o.flashAttention())
                .withContextSize(Math.max(256, o.cellsNeeded())).withCachedPrompts(0);
    }

    public static List<BatchedBenchResult> run(Model model, BatchedBenchOptions o) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(o, "options");
        int vocab = model.info().hyperParameters().vocabularySize();
        Random random = new Random(3);
        try (Session warm = model.newSession(SessionOptions.defaults().withContextSize(16))) {
            warm.evaluate(tokens(random, 16, vocab));
        }
        List<BatchedBenchResult> rows = new ArrayList<>();
        int maxPl = o.parallel().stream().mapToInt(Integer::intValue).max().orElseThrow();
        ExecutorService pool = Executors.newFixedThreadPool(maxPl, r -> {
            Thread t = new Thread(r, "ggml4j-batched-bench");
            t.setDaemon(true);
            return t;
        });
        try {
            for (int pp : o.promptTokens()) {
                for (int tg : o.genTokens()) {
                    for (int pl : o.parallel()) {
                        rows.add(one(model, pool, random, vocab, pp, tg, pl));
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return rows;
    }

    private static BatchedBenchResult one(Model model, ExecutorService pool, Random random, int vocab, int pp, int tg,
                                          int pl) {
        List<Session> sessions = new ArrayList<>();
        try {
            int[][] prompts = new int[pl][];
            int[][] gen = new int[pl][];
            for (int j = 0; j < pl; j++) {
                sessions.add(model.newSession(SessionOptions.defaults().withContextSize(pp + tg)));
                prompts[j] = tokens(random, pp, vocab);
                gen[j] = tokens(random, tg, vocab);
            }
            double tPp = phase(pool, pl, j -> sessions.get(j).evaluate(prompts[j]));
            double tTg = phase(pool, pl, j -> {
                Session s = sessions.get(j);
                for (int i = 0; i < tg; i++) {
                    s.evaluate(gen[j][i]);
                }
            });
            return new BatchedBenchResult(pp, tg, pl, pl * (pp + tg), tPp, tTg);
        } finally {
            sessions.forEach(Session::close);
        }
    }

    private interface Work {
        void run(int session);
    }

    /** Runs {@code work} for every session on its own thread, all started together; seconds until all end. */
    private static double phase(ExecutorService pool, int pl, Work work) {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        for (int j = 0; j < pl; j++) {
            int session = j;
            futures.add(pool.submit(() -> {
                go.await();
                work.run(session);
                return null;
            }));
        }
        long t0 = System.nanoTime();
        go.countDown();
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Ggml4jException g) {
                    throw g;
                }
                throw new IllegalStateException("a benchmark session failed", e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private static int[] tokens(Random random, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = random.nextInt(vocab);
        }
        return t;
    }
}
