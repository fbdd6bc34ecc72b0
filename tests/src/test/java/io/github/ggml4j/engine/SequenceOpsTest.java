package io.github.ggml4j.engine;

import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.InsufficientMemoryException;
import io.github.ggml4j.SessionStateException;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.model.KvCacheType;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.runtime.Engine;
import io.github.ggml4j.runtime.ModelAccess;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.testing.SyntheticLlama;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sequence operations of the engine on the tiny F32 Llama: fork, truncate, save and restore (also in a new
 * JVM), prefix reuse, waiting for room, and the up-front memory checks. Every continuation is compared with a
 * fresh run of the same full token sequence.
 */
class SequenceOpsTest {

    static final int[] PROMPT = Parity.prompt(40, 71);
    static Path file;
    static Model model;

    static ModelOptions engine() {
        return ModelOptions.defaults().withThreads(2).withContextSize(1024).withCachedPrompts(0)
                .withKvCacheType(KvCacheType.F32);
    }

    @BeforeAll
    static void load() {
        file = Parity.TINY.cached();
        model = Model.load(file, engine());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static int[] concat(int[] a, int... b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A fresh session's greedy tokens after {@code tokens}, on a model of its own (nothing shared). */
    static int[] fresh(int[] tokens, int n) {
        try (Model m = Model.load(file, engine()); Session s = m.newSession()) {
            return s.generate(tokens, GenerateOptions.greedy(n), null).tokens();
        }
    }

    @Test
    void forkedSessionsContinueAsFreshRunsOfTheirOwnTokens() {
        try (Session s = model.newSession()) {
            s.evaluate(PROMPT);
            Engine engine = ModelAccess.get().engine(model);
            int before = engine.stats().usedCells();
            try (Session f = s.fork()) {
                assertEquals(before, engine.stats().usedCells(), "a fork shares the cells");
                assertArrayEquals(s.tokens(), f.tokens(), "a fork has the same history");
                assertArrayEquals(s.logits(), f.logits(), "and the same last logits");
                int[] a = s.generate(new int[] {500}, GenerateOptions.greedy(16), null).tokens();
                int[] b = f.generate(new int[] {900}, GenerateOptions.greedy(16), null).tokens();
                assertArrayEquals(fresh(concat(PROMPT, 500), 16), a, "the original after the fork");
                assertArrayEquals(fresh(concat(PROMPT, 900), 16), b, "the fork");
                assertEquals(PROMPT.length + 16, f.position(), "the prompt token and 15 fed-back tokens");
            }
            // closing the fork leaves the original's cells alone
            int[] more = s.generate(new int[] {77}, GenerateOptions.greedy(4), null).tokens();
            assertEquals(4, more.length);
        }
    }

    @Test
    void truncateThenContinueEqualsAFreshRun() {
        try (Session s = model.newSession()) {
            s.generate(PROMPT, GenerateOptions.greedy(20), null);
            s.truncate(25);
            assertArrayEquals(Arrays.copyOf(PROMPT, 25), s.tokens(), "the history is truncated too");
            int[] got = s.generate(new int[] {1234}, GenerateOptions.greedy(12), null).tokens();
            assertArrayEquals(fresh(concat(Arrays.copyOf(PROMPT, 25), 1234), 12), got);
        }
    }

    @Test
    void saveThenRestoreInANewJvmContinuesLikeTheUninterruptedRun(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("session.state");
        int[] uninterrupted;
        try (Session s = model.newSession()) {
            s.evaluate(PROMPT);
            s.saveState(state);
            uninterrupted = s.generate(new int[] {4321}, GenerateOptions.greedy(16), null).tokens();
        }
        // the same process first
        try (Session r = model.restoreSession(state)) {
            assertArrayEquals(PROMPT, r.tokens());
            assertArrayEquals(uninterrupted, r.generate(new int[] {4321}, GenerateOptions.greedy(16), null).tokens());
        }
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                RestoreChild.class.getName(), file.toString(), state.toString(), "4321", "16"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("position=" + PROMPT.length), out);
        assertTrue(out.contains("tokens=" + Arrays.toString(uninterrupted)), "restored in a new JVM:\n" + out);
    }

    @Test
    void aStateFromAnotherModelOrDamagedIsATypedError(@TempDir Path dir) throws Exception {
        byte[] state;
        try (Session s = model.newSession()) {
            s.evaluate(PROMPT);
            state = s.saveState();
        }
        // truncated at several points, and one flipped byte in the cache data
        for (int cut : new int[] {0, 7, 100, state.length / 2, state.length - 1}) {
            byte[] t = Arrays.copyOf(state, cut);
            assertThrows(SessionStateException.class, () -> model.restoreSession(t), "cut at " + cut);
        }
        byte[] flipped = state.clone();
        flipped[state.length - 200] ^= 0x10;
        assertThrows(SessionStateException.class, () -> model.restoreSession(flipped));
        Path truncated = dir.resolve("truncated.state");
        Files.write(truncated, Arrays.copyOf(state, state.length / 3));
        assertThrows(SessionStateException.class, () -> model.restoreSession(truncated));
        // another model: other shapes, and the same shapes with other weights and hyper-parameters
        Path other = SyntheticLlama.llama(64, 2, 4, 2, 256).withStd(0.1).withSeed(5).cached();
        try (Model m = Model.load(other, engine())) {
            SessionStateException e = assertThrows(SessionStateException.class, () -> m.restoreSession(state));
            assertTrue(e.getMessage().contains("another model"), e.getMessage());
        }
        // the same model with another KV cache type
        try (Model m = Model.load(file, engine().withKvCacheType(KvCacheType.F16))) {
            assertThrows(SessionStateException.class, () -> m.restoreSession(state));
            try (Session s = m.newSession()) {
                s.evaluate(1, 2, 3); // and the model is unharmed
            }
        }
        assertEquals(0, ModelAccess.get().engine(model).stats().sequences(), "failed restores hold no sequence");
    }

    @Test
    void aPromptThatContinuesAnotherSessionsPrefixReusesItsCells() {
        int[] prefix = Parity.prompt(300, 72);
        int[] question = Parity.prompt(12, 73);
        int[] expected = fresh(concat(prefix, question), 16);
        ModelOptions cached = engine().withCachedPrompts(4);
        try (Model m = Model.load(file, cached)) {
            Engine engine = ModelAccess.get().engine(m);
            Generation uncached;
            try (Session a = m.newSession()) {
                uncached = a.generate(prefix, GenerateOptions.greedy(1), null);
                assertEquals(0, uncached.reusedPromptTokens());
                // a live session holds the prefix
                try (Session b = m.newSession()) {
                    Generation g = b.generate(concat(prefix, question), GenerateOptions.greedy(16), null);
                    assertEquals(prefix.length, g.reusedPromptTokens(), "the prefix came from the other session");
                    assertArrayEquals(expected, g.tokens());
                }
            }
            // a closed session's prompt stays cached
            long t0 = System.nanoTime();
            Generation g;
            try (Session c = m.newSession()) {
                g = c.generate(concat(prefix, question), GenerateOptions.greedy(1), null);
            }
            long cachedNanos = System.nanoTime() - t0;
            assertTrue(g.reusedPromptTokens() >= prefix.length, "reused " + g.reusedPromptTokens());
            assertEquals(expected[0], g.tokens()[0]);
            assertTrue(engine.stats().reusedTokens() >= 2L * prefix.length);
            System.out.printf("prefix reuse, tiny model: first token after a %d-token cached prefix in %.1f ms "
                    + "(prompt %.1f ms uncached)%n", prefix.length, cachedNanos / 1e6, uncached.promptNanos() / 1e6);
        }
    }

    @Test
    void aFullCacheFailsOrWaitsForRoomAsTheSessionChose() throws Exception {
        try (Model m = Model.load(file, engine().withContextSize(256))) {
            Session holder = m.newSession();
            holder.evaluate(Parity.prompt(200, 74));
            try (Session failing = m.newSession()) {
                ContextOverflowException e = assertThrows(ContextOverflowException.class,
                        () -> failing.evaluate(Parity.prompt(100, 75)));
                assertTrue(e.getMessage().contains("full"), e.getMessage());
                assertEquals(0, failing.position(), "the refused prompt left nothing behind");
            }
            Session waiting = m.newSession(SessionOptions.defaults().withWaitWhenFull(true));
            int[] p = Parity.prompt(100, 76);
            CompletableFuture<int[]> work = CompletableFuture.supplyAsync(
                    () -> waiting.generate(p, GenerateOptions.greedy(4), null).tokens());
            Thread.sleep(300);
            assertFalse(work.isDone(), "waits while the cache is full");
            holder.close();
            assertArrayEquals(fresh(p, 4), work.get(60, TimeUnit.SECONDS), "went on once room was freed");
            waiting.close();
        }
    }

    /**
     * Two sessions that wait for room prompt at once into a cache that holds one of the prompts: both get
     * half-way, then each waits for the other. Nothing could ever free a cell, so the newer one gives up its
     * cells with a typed error and the other finishes, instead of both waiting forever.
     */
    @Test
    void sessionsThatAllWaitForRoomDoNotWaitForever() throws Exception {
        // F32 at 512 wide: a 32-token chunk takes long enough for the second prompt to join the first
        Path slow = Parity.LLAMA_512.withTypes(GgmlType.F32).withTiedOutput(true).cached();
        ModelOptions o = engine().withContextSize(256).withBatchSize(32);
        int[][] prompts = {Parity.prompt(200, 80), Parity.prompt(200, 81)};
        try (Model m = Model.load(slow, o)) {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
            List<CompletableFuture<Integer>> work = new ArrayList<>();
            for (int[] p : prompts) {
                work.add(CompletableFuture.supplyAsync(() -> {
                    try (Session s = m.newSession(SessionOptions.defaults().withWaitWhenFull(true))) {
                        go.await();
                        s.evaluate(p);
                        return s.position();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }, pool));
            }
            go.countDown();
            int done = 0;
            int refused = 0;
            for (CompletableFuture<Integer> w : work) {
                try {
                    assertEquals(200, w.get(120, TimeUnit.SECONDS));
                    done++;
                } catch (java.util.concurrent.ExecutionException e) {
                    ContextOverflowException co = assertInstanceOf(ContextOverflowException.class, e.getCause());
                    assertTrue(co.getMessage().contains("every session is waiting"), co.getMessage());
                    refused++;
                }
            }
            pool.shutdown();
            assertEquals(1, done, "one prompt finished");
            assertEquals(1, refused, "the other gave up its cells");
            assertEquals(0, ModelAccess.get().engine(m).stats().usedCells());
        }
    }

    @Test
    void contextsThatCannotFitAreRefusedUpFront() {
        ContextOverflowException e = assertThrows(ContextOverflowException.class,
                () -> model.newSession(SessionOptions.defaults().withContextSize(10_000_000)));
        assertTrue(e.getMessage().contains("withContextSize"), e.getMessage());
        // case 61: a KV cache this machine cannot hold is refused with the estimate, before allocating anything
        Path wide = Parity.LLAMA_512.withTypes(GgmlType.Q8_0).cached();
        long t0 = System.nanoTime();
        try (Model m = Model.load(wide, ModelOptions.defaults().withContextSize(ModelOptions.MAX_CONTEXT))) {
            InsufficientMemoryException ie = assertThrows(InsufficientMemoryException.class, m::newSession);
            assertTrue(ie.requiredBytes() > ie.availableBytes(), ie.getMessage());
            assertTrue(ie.getMessage().contains("MiB"), ie.getMessage());
            System.out.println("refused in " + (System.nanoTime() - t0) / 1_000_000 + " ms: " + ie.getMessage());
            // the model still works with a context that fits
        }
    }

    @Test
    void aContextBeyondTheTrainedLengthWarnsOnce() {
        List<LogRecord> records = new ArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger logger = Logger.getLogger("io.github.ggml4j.model");
        logger.addHandler(h);
        try (Model m = Model.load(file, engine().withContextSize(8192))) {
            int trained = m.info().hyperParameters().trainedContext();
            m.newSession(SessionOptions.defaults().withContextSize(trained)).close();
            assertTrue(records.isEmpty(), "no warning within the trained length");
            m.newSession(SessionOptions.defaults().withContextSize(trained + 1)).close();
            m.newSession(SessionOptions.defaults().withContextSize(trained * 2)).close();
            assertEquals(1, records.stream().filter(r -> r.getLevel() == Level.WARNING).count(), "one warning");
            assertTrue(records.get(0).getMessage().contains("trained"), records.get(0).getMessage());
        } finally {
            logger.removeHandler(h);
        }
    }

    /** Output rows live in the sessions that asked for them: an idle session costs one row of logits. */
    @Test
    void anIdleSessionHoldsOneRowOfLogits() {
        int n = 200;
        Runtime rt = Runtime.getRuntime();
        List<Session> sessions = new ArrayList<>();
        System.gc();
        long heap0 = rt.totalMemory() - rt.freeMemory();
        for (int i = 0; i < n; i++) {
            Session s = model.newSession(SessionOptions.defaults().withContextSize(16));
            s.evaluate(100 + i);
            sessions.add(s);
        }
        System.gc();
        long heap = (rt.totalMemory() - rt.freeMemory() - heap0) / n;
        sessions.forEach(Session::close);
        int row = 4 * Parity.TINY.nVocab();
        System.out.printf("%d idle sessions: %,d heap bytes each (one logits row is %,d bytes)%n", n, heap, row);
        assertTrue(heap < 2L * row + 16384, "heap per idle session " + heap);
    }
}
