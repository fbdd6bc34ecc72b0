package io.github.ggml4j.engine;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.runtime.Engine;
import io.github.ggml4j.runtime.ModelAccess;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Session;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Models whose threads together exceed the CPUs compute on one engine's thread (one OpenMP pool, see
 * {@code ComputeHosts}): both still generate what each does alone, also at once, and when the host model closes
 * in the middle of the other's generation, that one takes over its own computing without a lost or wrong step.
 */
class SharedComputeThreadTest {

    static final int CPUS = Runtime.getRuntime().availableProcessors();

    static ModelOptions allCpus() {
        return ModelOptions.defaults().withThreads(CPUS).withContextSize(1024).withFlashAttention(false);
    }

    static int[] greedy(Model m, int seed, int n) {
        try (Session s = m.newSession()) {
            return s.generate(Parity.prompt(12, seed), GenerateOptions.greedy(n), null).tokens();
        }
    }

    static void await(CountDownLatch latch) {
        try {
            if (!latch.await(120, TimeUnit.SECONDS)) {
                throw new IllegalStateException("timed out");
            }
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static Engine engine(Model m) {
        return ModelAccess.get().engine(m);
    }

    @Test
    void aSecondModelComputesOnTheFirstsThreadAndTakesOverWhenItCloses() throws Exception {
        Path file = Parity.TINY.cached();
        int[] aloneA;
        int[] aloneB;
        try (Model m = Model.load(file, allCpus())) {
            assertTrue(engine(m).computesOnOwnThread(), "a lone model computes on its own engine thread");
            aloneA = greedy(m, 11, 48);
            aloneB = greedy(m, 12, 400);
        }
        Model a = Model.load(file, allCpus());
        try (Model b = Model.load(file, allCpus())) {
            greedy(a, 1, 1); // the engines start on first use
            greedy(b, 1, 1);
            assertTrue(engine(a).computesOnOwnThread(), "the first model hosts");
            assertFalse(engine(b).computesOnOwnThread(), "the second model's threads do not fit next to the first's");
            CountDownLatch halfway = new CountDownLatch(1);
            CountDownLatch hostClosed = new CountDownLatch(1);
            CompletableFuture<int[]> fa = CompletableFuture.supplyAsync(() -> greedy(a, 11, 48));
            CompletableFuture<int[]> fb = CompletableFuture.supplyAsync(() -> {
                try (Session s = b.newSession()) {
                    int[] seen = {0};
                    return s.generate(Parity.prompt(12, 12), GenerateOptions.greedy(400), (id, text) -> {
                        if (++seen[0] == 200) { // the host closes while this one is generating
                            halfway.countDown();
                            await(hostClosed);
                        }
                    }).tokens();
                }
            });
            assertArrayEquals(aloneA, fa.get(120, TimeUnit.SECONDS), "the host model, generating at once");
            assertTrue(halfway.await(120, TimeUnit.SECONDS), "the guest reached its 200th token");
            a.close();
            hostClosed.countDown();
            assertArrayEquals(aloneB, fb.get(120, TimeUnit.SECONDS), "the guest model, across its host's closing");
            assertTrue(engine(b).computesOnOwnThread(), "the guest computes on its own thread once the host is gone");
            assertArrayEquals(aloneA, greedy(b, 11, 48), "and still computes correctly");
        } finally {
            a.close();
        }
    }
}
