package io.github.ggml4j.engine;

import io.github.ggml4j.CancelledException;
import io.github.ggml4j.Ggml4jException;
import io.github.ggml4j.ResourceClosedException;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.runtime.Engine;
import io.github.ggml4j.runtime.ModelAccess;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.testing.Background;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * At one thread, a lone caller on a platform thread runs its steps on its own thread while the engine's thread
 * waits (no two thread wake-ups per token); everything else is handed over. Both paths must give the same
 * results, and everything that reaches a running step from outside (other sessions, cancel, close, a full cache)
 * must work as it does on the engine's thread.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class InlineStepsTest {

    static ModelOptions engine(int threads) {
        return ModelOptions.defaults().withThreads(threads).withContextSize(4096).withCachedPrompts(0)
                .withFlashAttention(false);
    }

    static Engine.Stats stats(Model model) {
        return ModelAccess.get().engine(model).stats();
    }

    /** A job's run (prompt, then 64 greedy tokens) on a new thread, virtual or not. */
    static ConcurrentSessionsTest.Run runOn(boolean virtual, Model model, int job) throws Exception {
        CompletableFuture<ConcurrentSessionsTest.Run> f = new CompletableFuture<>();
        Runnable work = () -> {
            try {
                f.complete(ConcurrentSessionsTest.run(model, job));
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        };
        Thread t = virtual ? Thread.ofVirtual().start(work) : Thread.ofPlatform().start(work);
        t.join();
        return f.get();
    }

    @Test
    void aLoneCallerStepsOnItsOwnThreadAndComputesAsTheEngineThreadDoes() throws Exception {
        Path file = Parity.TINY.cached();
        try (Model model = Model.load(file, engine(1))) {
            for (int job = 0; job < 4; job++) {
                Engine.Stats before = stats(model);
                ConcurrentSessionsTest.Run inline = runOn(false, model, job);
                Engine.Stats mid = stats(model);
                ConcurrentSessionsTest.Run handed = runOn(true, model, job);
                Engine.Stats after = stats(model);
                long inlineSteps = mid.inlineSteps() - before.inlineSteps();
                long steps = mid.steps() - before.steps();
                // the prompt's chunk, then one step per generated token
                assertTrue(steps >= ConcurrentSessionsTest.N_PREDICT, "steps " + steps);
                // all but at most the first: the stats() call before it may still be ending on the engine's thread
                assertTrue(inlineSteps >= steps - 1, "a lone platform thread runs its own steps: " + mid);
                assertEquals(mid.inlineSteps(), after.inlineSteps(), "a virtual thread hands its steps over");
                assertTrue(after.steps() - mid.steps() >= ConcurrentSessionsTest.N_PREDICT);
                // the same cells and the same graphs: the same arithmetic, bit for bit
                assertArrayEquals(handed.tokens(), inline.tokens(), "job " + job);
                assertArrayEquals(handed.lastLogits(), inline.lastLogits(), "job " + job);
            }
        }
        try (Model model = Model.load(file, engine(2))) {
            runOn(false, model, 0);
            // with more threads ggml's OpenMP workers belong to the computing thread: only the engine's computes
            assertEquals(0, stats(model).inlineSteps(), "at two threads every step is handed over");
        }
    }

    /**
     * Sessions on several platform threads join (and leave) while one steps inline: the first finds the engine
     * free and steps on its own thread, the others hand over and the engine's thread takes the rest. Each
     * session's tokens equal its run alone (or part at a near tie, as in {@link ConcurrentSessionsTest}).
     */
    @Test
    void sessionsJoiningAnInlineStepperGetTheirRunsAlone() throws Exception {
        Path file = Parity.TINY.cached();
        int threads = 6;
        int perThread = 5;
        int jobs = threads * perThread;
        ConcurrentSessionsTest.Run[] alone = new ConcurrentSessionsTest.Run[jobs];
        try (Model model = Model.load(file, engine(1))) {
            for (int j = 0; j < jobs; j++) {
                alone[j] = ConcurrentSessionsTest.run(model, 100 + j);
            }
            Engine.Stats st = stats(model);
            // a closing session's release runs on the engine's thread, which the next session's first step may
            // still find busy with it
            assertTrue(st.inlineSteps() >= st.steps() - jobs, "one caller at a time steps inline: " + st);
        }
        try (Model model = Model.load(file, engine(1))) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<ConcurrentSessionsTest.Run[]>> futures = new ArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            try {
                for (int t = 0; t < threads; t++) {
                    int first = t * perThread;
                    long delay = t * 7L;
                    futures.add(pool.submit(() -> {
                        go.await();
                        Thread.sleep(delay); // join one after another while the first steps inline
                        ConcurrentSessionsTest.Run[] out = new ConcurrentSessionsTest.Run[perThread];
                        for (int i = 0; i < perThread; i++) {
                            out[i] = ConcurrentSessionsTest.run(model, 100 + first + i);
                        }
                        return out;
                    }));
                }
                go.countDown();
                int parted = 0;
                for (int t = 0; t < threads; t++) {
                    ConcurrentSessionsTest.Run[] out = futures.get(t).get(100, TimeUnit.SECONDS);
                    for (int i = 0; i < perThread; i++) {
                        int job = t * perThread + i;
                        if (!Arrays.equals(alone[job].tokens(), out[i].tokens())) {
                            parted++;
                            ConcurrentSessionsTest.assertNearTie(model, 100 + job, alone[job].tokens(),
                                    out[i].tokens(), 1e-3);
                        }
                    }
                }
                Engine.Stats st = stats(model);
                System.out.printf("%d sessions on %d threads at one ggml thread: %d steps, %d of them inline, %d "
                        + "parted from their runs alone at a near tie%n", jobs, threads, st.steps(),
                        st.inlineSteps(), parted);
                assertTrue(st.inlineSteps() > 0, "the first caller stepped inline: " + st);
                assertTrue(st.inlineSteps() < st.steps(), "the others were handed over: " + st);
                assertEquals(0, st.sequences(), "every sequence is released: " + st);
                assertEquals(0, st.usedCells(), "no cell is left in use: " + st);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** A prompt evaluating on a platform thread of its own (so inline), still running 300 ms later. */
    static CompletableFuture<Object> evaluating(Session s, int[] prompt) throws InterruptedException {
        CompletableFuture<Object> work = Background.start(() -> {
            s.evaluate(prompt);
            return null;
        });
        Thread.sleep(300);
        assertFalse(work.isDone(), "the prompt should still be evaluating after 300 ms");
        return work;
    }

    /** Cases 40 and 41 for a prompt that runs on its caller's thread: cancel, then closing the model under it. */
    @Test
    void cancelAndCloseStopAPromptSteppingInline() throws Exception {
        // F32 weights at 512 wide keep a 1500-token prompt busy for seconds even on one fast core
        Path big = Parity.LLAMA_512.withTypes(GgmlType.F32).withTiedOutput(true).cached();
        int[] prompt = Parity.prompt(1500, 40);
        int[] shortPrompt = Parity.prompt(20, 41);
        ModelOptions o = engine(1).withContextSize(2048).withBatchSize(64);
        float[] expected;
        try (Model model = Model.load(big, o)) {
            try (Session s = model.newSession(SessionOptions.defaults().withContextSize(2048))) {
                CompletableFuture<Object> work = evaluating(s, prompt);
                long t0 = System.nanoTime();
                s.cancel();
                assertInstanceOf(CancelledException.class, Background.failure(work));
                long ms = (System.nanoTime() - t0) / 1_000_000;
                System.out.println("inline prompt stopped " + ms + " ms after cancel()");
                assertTrue(ms < 2000, "stopped only after " + ms + " ms");
                assertEquals(0, s.position(), "a cancelled prompt leaves no positions behind");
                s.evaluate(shortPrompt);
                expected = s.logits();
            }
            Engine.Stats st = stats(model);
            assertTrue(st.inlineSteps() >= st.steps() - 2, "the prompts stepped inline: " + st);
            try (Session fresh = model.newSession(SessionOptions.defaults().withContextSize(2048))) {
                fresh.evaluate(shortPrompt);
                assertArrayEquals(expected, fresh.logits(), "the cancelled session computed as a fresh one");
            }
        }
        Model model = Model.load(big, o);
        Session s = model.newSession(SessionOptions.defaults().withContextSize(2048));
        CompletableFuture<Object> work = evaluating(s, prompt);
        long t0 = System.nanoTime();
        model.close(); // frees the native side only once the step on the other thread has stopped
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Throwable e = Background.failure(work);
        assertTrue(e instanceof ResourceClosedException || e instanceof CancelledException,
                "a typed error for the prompt under a closing model: " + e);
        assertInstanceOf(Ggml4jException.class, e);
        System.out.println("model closed under an inline prompt in " + ms + " ms");
        assertTrue(ms < 5000, "close took " + ms + " ms");
        assertThrows(ResourceClosedException.class, () -> s.evaluate(shortPrompt),
                "the session of a closed model refuses work");
        s.close();
    }

    /** A caller whose inline step finds the cache full and waits for room hands over, and goes on when room frees. */
    @Test
    void anInlineCallerWaitingForRoomGoesOnWhenAnotherSessionCloses() throws Exception {
        Path file = Parity.TINY.cached();
        try (Model m = Model.load(file, engine(1).withContextSize(256))) {
            int[] p = Parity.prompt(100, 76);
            int[] fresh;
            try (Session s = m.newSession()) {
                fresh = s.generate(p, GenerateOptions.greedy(4), null).tokens();
            }
            Session holder = m.newSession();
            holder.evaluate(Parity.prompt(200, 74));
            Session waiting = m.newSession(SessionOptions.defaults().withWaitWhenFull(true));
            CompletableFuture<int[]> work = Background.start(
                    () -> waiting.generate(p, GenerateOptions.greedy(4), null).tokens());
            Thread.sleep(300);
            assertFalse(work.isDone(), "waits while the cache is full");
            holder.close();
            assertArrayEquals(fresh, work.get(60, TimeUnit.SECONDS), "went on once room was freed");
            waiting.close();
            assertEquals(0, stats(m).usedCells());
        }
    }
}
