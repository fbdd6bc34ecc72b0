package io.github.ggml4j.engine;

import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.memory.StreamedKvCache;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.runtime.Engine;
import io.github.ggml4j.runtime.ModelAccess;
import io.github.ggml4j.session.BeamOptions;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.testing.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * KV streams ({@link ModelOptions#withKvStreams}): each session in a stream of its own, attention per stream.
 * Every result is checked against the shared cache (the reference layout): the same greedy tokens and logits
 * for sessions running together, forks, beams, cached prompts, states moved between the two layouts, and
 * rows copied between streams; a stream's room bounds one session.
 */
class KvStreamsTest {

    static final int STREAMS = 8;
    static final int STREAM_CELLS = 256;

    static ModelOptions shared(boolean flash) {
        return ModelOptions.defaults().withThreads(2).withContextSize(STREAMS * STREAM_CELLS).withCachedPrompts(0)
                .withFlashAttention(flash);
    }

    static ModelOptions streamed(boolean flash) {
        return shared(flash).withKvStreams(STREAMS);
    }

    static Path tiny() {
        return Parity.TINY.cached();
    }

    /**
     * 32 sessions from 8 threads at once (prompts of 4 to 60 tokens, so prompt chunks and single tokens of
     * several streams share steps) against each run alone in the shared cache: the same tokens (up to a rounding
     * tie, {@link ConcurrentSessionsTest#assertNearTie}; wider under flash attention, whose CPU kernel rounds a
     * prompt taken in chunks differently from one taken whole) and last logits within rounding.
     */
    @ParameterizedTest(name = "flash attention {0}")
    @ValueSource(booleans = {false, true})
    void sessionsTogetherInStreamsEqualTheirRunsAloneInTheSharedCache(boolean flash) throws Exception {
        int threads = 8;
        int perThread = 4;
        int jobs = threads * perThread;
        try (Model reference = Model.load(tiny(), shared(flash)); Model model = Model.load(tiny(), streamed(flash))) {
            assertInstanceOf(StreamedKvCache.class, ModelAccess.get().engine(model).memory());
            ConcurrentSessionsTest.Run[] alone = new ConcurrentSessionsTest.Run[jobs];
            for (int j = 0; j < jobs; j++) {
                alone[j] = ConcurrentSessionsTest.run(reference, j);
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Integer> parted = new ArrayList<>();
            double worst = 0;
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<ConcurrentSessionsTest.Run[]>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int first = t * perThread;
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        go.await();
                        Thread.sleep(thread * 3L); // sessions join while others generate
                        ConcurrentSessionsTest.Run[] out = new ConcurrentSessionsTest.Run[perThread];
                        for (int i = 0; i < perThread; i++) {
                            out[i] = ConcurrentSessionsTest.run(model, first + i);
                        }
                        return out;
                    }));
                }
                go.countDown();
                for (int t = 0; t < threads; t++) {
                    ConcurrentSessionsTest.Run[] out = futures.get(t).get(300, TimeUnit.SECONDS);
                    for (int i = 0; i < perThread; i++) {
                        int job = t * perThread + i;
                        if (!Arrays.equals(alone[job].tokens(), out[i].tokens())) {
                            parted.add(job);
                            // flash attention rounds a prompt split over steps differently from one taken whole
                            ConcurrentSessionsTest.assertNearTie(reference, job, alone[job].tokens(), out[i].tokens(),
                                    flash ? 1e-3 : 1e-4);
                            continue;
                        }
                        double nmse = Errors.nmse(alone[job].lastLogits(), out[i].lastLogits());
                        worst = Math.max(worst, nmse);
                        assertTrue(nmse <= (flash ? 1e-5 : 1e-6), "job " + job + ": last logits NMSE " + nmse);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            assertTrue(parted.size() <= jobs / 16, "jobs " + parted + " generated other tokens than alone");
            Engine.Stats st = ModelAccess.get().engine(model).stats();
            assertEquals(0, st.usedCells(), "every stream is empty again: " + st);
            assertTrue(st.steps() < jobs * 40L, "the sessions shared steps: " + st);
            System.out.printf("flash %s: %d jobs, %d steps, worst last-logits NMSE %.2e, %d parted at a tie%n", flash,
                    jobs, st.steps(), worst, parted.size());
        }
    }

    /** A fork shares its parent's stream; forks and beam search give the shared cache's tokens. */
    @Test
    void forksAndBeamsInAStreamEqualTheSharedCache() {
        int[] prompt = Parity.prompt(30, 77);
        int[][] expected = new int[3][];
        int[] beams;
        try (Model model = Model.load(tiny(), shared(true))) {
            expected = forks(model, prompt);
            try (Session s = model.newSession()) {
                beams = s.beamSearch(prompt, new BeamOptions(4, 12, 1.0f, false)).tokens();
            }
        }
        try (Model model = Model.load(tiny(), streamed(true))) {
            Engine engine = ModelAccess.get().engine(model);
            int[][] got = forks(model, prompt);
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(expected[i], got[i], "branch " + i);
            }
            try (Session s = model.newSession()) {
                assertArrayEquals(beams, s.beamSearch(prompt, new BeamOptions(4, 12, 1.0f, false)).tokens());
            }
            assertEquals(0, engine.stats().usedCells());
        }
    }

    /** A session on the prompt, two forks, three greedy continuations from different first tokens. */
    private static int[][] forks(Model model, int[] prompt) {
        int[][] out = new int[3][];
        try (Session s = model.newSession()) {
            s.evaluate(prompt);
            Engine engine = ModelAccess.get().engine(model);
            int used = engine.stats().usedCells();
            try (Session a = s.fork(); Session b = s.fork()) {
                assertEquals(used, engine.stats().usedCells(), "forks share the parent's cells");
                out[0] = s.generate(new int[] {5}, GenerateOptions.greedy(16), null).tokens();
                out[1] = a.generate(new int[] {6}, GenerateOptions.greedy(16), null).tokens();
                out[2] = b.generate(new int[] {7}, GenerateOptions.greedy(16), null).tokens();
            }
        }
        return out;
    }

    /**
     * A closed session's prompt is taken by the next session with that prefix (in the cached prompt's stream, which
     * it takes over);
     * a live session's is not (that would put two live sessions in one stream), unless the new session is in a
     * stream of its own already: then the rows are copied. Every result equals a fresh run in the shared cache.
     */
    @Test
    void cachedPromptsAreSharedAndLiveOnesCopiedAcrossStreams() {
        int[] prompt = Parity.prompt(40, 91);
        int[] longer = Arrays.copyOf(prompt, 50);
        System.arraycopy(Parity.prompt(10, 92), 0, longer, 40, 10);
        float[] expectedPrompt;
        float[] expectedLonger;
        try (Model model = Model.load(tiny(), shared(true))) {
            expectedPrompt = logitsAfter(model, prompt);
            expectedLonger = logitsAfter(model, longer);
        }
        try (Model model = Model.load(tiny(), streamed(true).withCachedPrompts(4))) {
            Engine engine = ModelAccess.get().engine(model);
            try (Session s = model.newSession()) {
                s.evaluate(prompt);
            }
            long reused = engine.stats().reusedTokens();
            try (Session s = model.newSession()) {
                s.evaluate(longer);
                assertTrue(engine.stats().reusedTokens() - reused >= prompt.length - 1, "the cached prompt is reused");
                // and replaced, as llama-server's slot reuse does: its cells are the new session's alone
                assertEquals(0, engine.stats().cachedPrompts(), engine.stats().toString());
                assertEquals(longer.length, engine.stats().usedCells(), engine.stats().toString());
                assertNmse(expectedLonger, s.logits());
            }
        }
        try (Model model = Model.load(tiny(), streamed(true))) {
            Engine engine = ModelAccess.get().engine(model);
            try (Session live = model.newSession(); Session other = model.newSession()) {
                live.evaluate(longer);
                other.evaluate(Arrays.copyOf(prompt, 5));
                assertEquals(0, engine.stats().reusedTokens(), "a live session's cells are not shared");
                // `other` is in a stream of its own now: the live session's rows of positions 5..38 are copied
                other.evaluate(Arrays.copyOfRange(prompt, 5, prompt.length));
                assertEquals(prompt.length - 6, engine.stats().reusedTokens(), "rows copied: " + engine.stats());
                assertEquals(longer.length + prompt.length, engine.stats().usedCells(), "copied, not shared");
                assertNmse(expectedPrompt, other.logits());
                assertNmse(expectedLonger, live.logits());
            }
        }
    }

    /** A new session beside a live one with the same prompt computes its own cells (no live sharing). */
    @Test
    void aLiveSessionsPrefixIsNotSharedIntoItsStream() {
        int[] prompt = Parity.prompt(40, 93);
        try (Model model = Model.load(tiny(), streamed(true))) {
            Engine engine = ModelAccess.get().engine(model);
            try (Session a = model.newSession(); Session b = model.newSession()) {
                a.evaluate(prompt);
                int used = engine.stats().usedCells();
                b.evaluate(prompt);
                assertEquals(0, engine.stats().reusedTokens());
                assertEquals(2 * used, engine.stats().usedCells(), "each session holds its own cells");
                assertNmse(a.logits(), b.logits());
            }
        }
        try (Model model = Model.load(tiny(), shared(true))) {
            Engine engine = ModelAccess.get().engine(model);
            try (Session a = model.newSession(); Session b = model.newSession()) {
                a.evaluate(prompt);
                b.evaluate(prompt);
                assertTrue(engine.stats().reusedTokens() >= prompt.length - 1, "the shared cache shares it");
            }
        }
    }

    /**
     * Cached prompts in every stream, all with the same few first tokens, then as many sessions as streams at
     * once, each needing most of a stream: each takes an idle stream (a cached prompt's prefix only where no live
     * session is), so all finish, with the tokens they generate alone. (Sharing the longest cached prefix
     * regardless once put them all in one stream, where they waited for room forever.)
     */
    @Test
    void sessionsTakeIdleStreamsNotTheStreamOfTheirBestPrefix() throws Exception {
        int streams = 4;
        ModelOptions o = shared(true).withContextSize(streams * STREAM_CELLS).withKvStreams(streams)
                .withCachedPrompts(streams);
        int[][] prompts = new int[streams][];
        int[][] expected = new int[streams][];
        for (int i = 0; i < streams; i++) {
            prompts[i] = Parity.prompt(40, 200 + i);
            System.arraycopy(new int[] {11, 12, 13}, 0, prompts[i], 0, 3); // the common first tokens
        }
        try (Model reference = Model.load(tiny(), shared(true))) {
            for (int i = 0; i < streams; i++) {
                try (Session s = reference.newSession()) {
                    expected[i] = s.generate(prompts[i], GenerateOptions.greedy(180), null).tokens();
                }
            }
        }
        try (Model model = Model.load(tiny(), o)) {
            for (int i = 0; i < streams; i++) { // a cached prompt in each stream
                try (Session s = model.newSession()) {
                    s.evaluate(Parity.prompt(60, 300 + i));
                    s.evaluate(11, 12, 13);
                }
            }
            ExecutorService pool = Executors.newFixedThreadPool(streams);
            try {
                List<Future<int[]>> work = new ArrayList<>();
                for (int i = 0; i < streams; i++) {
                    int[] p = prompts[i];
                    work.add(pool.submit(() -> {
                        try (Session s = model.newSession(SessionOptions.defaults().withWaitWhenFull(true))) {
                            return s.generate(p, GenerateOptions.greedy(180), null).tokens();
                        }
                    }));
                }
                for (int i = 0; i < streams; i++) {
                    assertArrayEquals(expected[i], work.get(i).get(120, TimeUnit.SECONDS), "session " + i);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** A state saved in either layout continues in the other as it would have in its own. */
    @Test
    void statesMoveBetweenTheSharedCacheAndStreams() {
        int[] prompt = Parity.prompt(30, 95);
        for (boolean flash : new boolean[] {true, false}) {
            byte[] fromShared;
            byte[] fromStreams;
            int[] expected;
            try (Model model = Model.load(tiny(), shared(flash)); Session s = model.newSession()) {
                s.evaluate(prompt);
                fromShared = s.saveState();
                expected = s.generate(new int[] {3}, GenerateOptions.greedy(16), null).tokens();
            }
            try (Model model = Model.load(tiny(), streamed(flash))) {
                try (Session other = model.newSession()) {
                    other.evaluate(Parity.prompt(20, 96)); // the restored session goes into another stream
                    try (Session s = model.restoreSession(fromShared)) {
                        assertArrayEquals(expected, s.generate(new int[] {3}, GenerateOptions.greedy(16), null).tokens(),
                                "flash " + flash + ": shared -> streams");
                    }
                }
                try (Session s = model.newSession()) {
                    s.evaluate(prompt);
                    fromStreams = s.saveState();
                }
            }
            try (Model model = Model.load(tiny(), shared(flash)); Session s = model.restoreSession(fromStreams)) {
                assertArrayEquals(expected, s.generate(new int[] {3}, GenerateOptions.greedy(16), null).tokens(),
                        "flash " + flash + ": streams -> shared");
            }
        }
    }

    /** One session holds one stream's cells: a larger context is refused, and a full stream is a typed error. */
    @Test
    void aSessionHoldsOneStream() {
        ModelOptions twoStreams = shared(true).withContextSize(2 * STREAM_CELLS).withKvStreams(2);
        try (Model model = Model.load(tiny(), twoStreams)) {
            ContextOverflowException e = assertThrows(ContextOverflowException.class,
                    () -> model.newSession(SessionOptions.defaults().withContextSize(STREAM_CELLS + 1)));
            assertTrue(e.getMessage().contains("per stream"), e.getMessage());
            try (Session a = model.newSession(); Session b = model.newSession(); Session c = model.newSession()) {
                assertEquals(STREAM_CELLS, a.contextSize());
                a.evaluate(Parity.prompt(200, 1));
                b.evaluate(Parity.prompt(200, 2));
                // both streams have 56 cells left: 100 tokens fit nowhere
                assertThrows(ContextOverflowException.class, () -> c.evaluate(Parity.prompt(100, 3)));
                assertEquals(0, c.position());
                c.evaluate(Parity.prompt(50, 3)); // but 50 do, beside one of them
                assertEquals(50, c.position());
                assertEquals(450, ModelAccess.get().engine(model).stats().usedCells());
            }
        }
    }

    /** Streams with a window in the mask (a sliding-window model kept whole) equal the shared cache. */
    @Test
    void aSlidingWindowMaskWorksPerStream() {
        int[] prompt = Parity.prompt(60, 97);
        ModelOptions window = shared(true).withSlidingWindow(16).withKvLayout(io.github.ggml4j.model.KvLayout.FULL);
        int[] expected;
        try (Model model = Model.load(tiny(), window); Session s = model.newSession()) {
            expected = s.generate(prompt, GenerateOptions.greedy(24), null).tokens();
        }
        try (Model model = Model.load(tiny(), window.withKvStreams(STREAMS)); Session s = model.newSession()) {
            assertInstanceOf(StreamedKvCache.class, ModelAccess.get().engine(model).memory());
            assertArrayEquals(expected, s.generate(prompt, GenerateOptions.greedy(24), null).tokens());
        }
    }

    private static float[] logitsAfter(Model model, int[] tokens) {
        try (Session s = model.newSession()) {
            s.evaluate(tokens);
            return s.logits();
        }
    }

    private static void assertNmse(float[] expected, float[] actual) {
        double nmse = Errors.nmse(expected, actual);
        assertTrue(nmse <= 1e-5, "logits NMSE " + nmse);
    }
}
