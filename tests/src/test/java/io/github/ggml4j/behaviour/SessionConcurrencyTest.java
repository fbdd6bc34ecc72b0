package io.github.ggml4j.behaviour;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.KvCacheType;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.testing.ReferenceLlama;
import io.github.ggml4j.testing.SyntheticLlama;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Case 39, light: 4 threads, each running 4 sessions one after another on one shared model, give exactly the
 * tokens of a sequential run, which are the float64 reference's.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SessionConcurrencyTest {

    static final int THREADS = 4;
    static final int SESSIONS_PER_THREAD = 4;
    static final int N_PREDICT = 12;

    static int[] prompt(int job) {
        return Parity.prompt(10, 1000 + job);
    }

    static int[] run(Model model, int job) {
        // the model's engine batches the sessions of all threads together; F32 cache as the reference
        SessionOptions o = SessionOptions.defaults().withContextSize(64);
        try (Session s = model.newSession(o)) {
            return s.generate(prompt(job), GenerateOptions.greedy(N_PREDICT), null).tokens();
        }
    }

    @Test
    void concurrentSessionsGiveTheSequentialTokens() throws Exception {
        Path file = Parity.TINY.cached();
        int jobs = THREADS * SESSIONS_PER_THREAD;
        ReferenceLlama reference = new ReferenceLlama(Parity.TINY.referenceConfig(), SyntheticLlama.readWeights(file));
        try (Model model = Model.load(file, ModelOptions.defaults().withThreads(2).withContextSize(1024)
                .withKvCacheType(KvCacheType.F32).withFlashAttention(false))) {
            // flash attention tiles a step of many rows unlike one of few: the plain path is exact whatever shares it
            int[][] sequential = new int[jobs][];
            for (int j = 0; j < jobs; j++) {
                sequential[j] = run(model, j);
                assertArrayEquals(reference.greedy(prompt(j), N_PREDICT), sequential[j], "job " + j + " vs float64");
            }

            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<int[][]>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int first = t * SESSIONS_PER_THREAD;
                    futures.add(pool.submit(() -> {
                        go.await();
                        int[][] out = new int[SESSIONS_PER_THREAD][];
                        for (int i = 0; i < SESSIONS_PER_THREAD; i++) {
                            out[i] = run(model, first + i);
                        }
                        return out;
                    }));
                }
                go.countDown();
                for (int t = 0; t < THREADS; t++) {
                    int[][] out = futures.get(t).get(90, TimeUnit.SECONDS);
                    for (int i = 0; i < SESSIONS_PER_THREAD; i++) {
                        int job = t * SESSIONS_PER_THREAD + i;
                        assertArrayEquals(sequential[job], out[i], "job " + job + " on thread " + t);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
