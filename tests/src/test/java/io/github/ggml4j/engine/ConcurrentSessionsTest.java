package io.github.ggml4j.engine;

import io.github.ggml4j.CancelledException;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.runtime.Engine;
import io.github.ggml4j.runtime.ModelAccess;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.testing.Background;
import io.github.ggml4j.testing.Errors;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Many sessions of one model at once, batched by its engine (case 39): each session's greedy tokens and last
 * logits equal its run alone, whatever else shares the steps, except that some may part from it where two
 * tokens are tied to rounding ({@link #assertNearTie}); cancelling one session leaves the others alone.
 */
class ConcurrentSessionsTest {

    static final int THREADS = 16;
    static final int SESSIONS_PER_THREAD = 16;
    static final int N_PREDICT = 64;

    /**
     * Without flash attention: ggml's CPU flash attention tiles many query rows differently from few, so a
     * prompt split across steps (as sharing steps with other sessions does) differs from one evaluated whole
     * in the last bits (NMSE ~1.4e-6, as llama.cpp's own -b 512 vs -b 32); the plain path is exact there.
     */
    static ModelOptions engine() {
        return ModelOptions.defaults().withThreads(2).withContextSize(4096).withCachedPrompts(0)
                .withFlashAttention(false);
    }

    /** A job's prompt: 4 to 60 tokens, so prompts and generations of different lengths share steps. */
    static int[] prompt(int job) {
        return Parity.prompt(4 + new SplittableRandom(job).nextInt(57), 2000 + job);
    }

    record Run(int[] tokens, float[] lastLogits) {
    }

    /** A job whose run in company generated other tokens than its run alone. */
    record Parted(int job, int[] tokens) {
    }

    /** The prompt but its last token, then generation from that token; the logits after the last evaluated token. */
    static Run run(Model model, int job) {
        int[] p = prompt(job);
        try (Session s = model.newSession(SessionOptions.defaults().withContextSize(256))) {
            s.evaluate(Arrays.copyOf(p, p.length - 1));
            int[] tokens = s.generate(new int[] {p[p.length - 1]}, GenerateOptions.greedy(N_PREDICT), null).tokens();
            return new Run(tokens, s.logits());
        }
    }

    @Test
    void sixteenThreadsOfSixteenSessionsEqualTheirRunsAlone() throws Exception {
        Path file = Parity.TINY.cached();
        int jobs = THREADS * SESSIONS_PER_THREAD;
        Run[] alone = new Run[jobs];
        try (Model model = Model.load(file, engine())) {
            for (int j = 0; j < jobs; j++) {
                alone[j] = run(model, j);
            }
        }
        double worst = 0;
        List<Parted> nearTies = new ArrayList<>(); // the runs that went another way than alone
        long t0;
        long steps;
        try (Model model = Model.load(file, engine())) {
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Run[]>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int first = t * SESSIONS_PER_THREAD;
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        go.await();
                        Thread.sleep(thread * 3L); // sessions join while others are generating
                        Run[] out = new Run[SESSIONS_PER_THREAD];
                        for (int i = 0; i < SESSIONS_PER_THREAD; i++) {
                            out[i] = run(model, first + i);
                        }
                        return out;
                    }));
                }
                t0 = System.nanoTime();
                go.countDown();
                for (int t = 0; t < THREADS; t++) {
                    Run[] out = futures.get(t).get(300, TimeUnit.SECONDS);
                    for (int i = 0; i < SESSIONS_PER_THREAD; i++) {
                        int job = t * SESSIONS_PER_THREAD + i;
                        if (!Arrays.equals(alone[job].tokens(), out[i].tokens())) {
                            nearTies.add(new Parted(job, out[i].tokens()));
                            continue;
                        }
                        double nmse = Errors.nmse(alone[job].lastLogits(), out[i].lastLogits());
                        worst = Math.max(worst, nmse);
                        // alone and in company a session's cells sit at other indices of the shared cache, so
                        // the attention sums round elsewhere (NMSE up to 1.2e-6 seen; KvStreamsTest: with a stream
                        // per session they do not)
                        assertTrue(nmse <= 1e-5, "job " + job + ": last logits NMSE " + nmse);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            Engine.Stats st = ModelAccess.get().engine(model).stats();
            steps = st.steps();
            assertTrue(st.sequences() == 0, "every session's sequence is released: " + st);
            assertTrue(st.usedCells() == 0, "no cell is left in use: " + st);
            System.out.println(nearTies.size() + " of " + jobs + " jobs generated other tokens than alone");
            // the shared cache's other cell layout in company rounds differently: up to 1.6e-4 of the spread seen
            // (an Intel Xeon, 22 of 256 jobs parted; an AMD EPYC, 1); a wrong result parts far from any tie
            for (Parted p : nearTies) {
                assertNearTie(model, p.job(), alone[p.job()].tokens(), p.tokens(), 1e-3);
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        int tokens = jobs * (N_PREDICT + 1);
        System.out.printf("%d sessions on %d threads: %d steps for %d decoded tokens (%.1f per step), %d ms, worst "
                + "last-logits NMSE %.2e%n", jobs, THREADS, steps, tokens, (double) tokens / steps, ms, worst);
        assertTrue(steps < tokens / 2, "the engine batched the sessions' tokens: " + steps + " steps");
    }

    /**
     * Batch shapes change which kernel a product takes (a row alone or in a tile), and so its last bits: where two
     * candidates are nearly tied, a run in company may pick the other one. That is allowed only at such a tie:
     * at the first token where the runs part, the two tokens' logits (as the run alone saw them) are within
     * 1e-4 of the logits' spread.
     */
    static void assertNearTie(Model model, int job, int[] alone, int[] together) {
        assertNearTie(model, job, alone, together, 1e-4);
    }

    /** As {@link #assertNearTie(Model, int, int[], int[])}, with the largest gap as a share of the spread. */
    static void assertNearTie(Model model, int job, int[] alone, int[] together, double margin) {
        int d = 0;
        while (d < alone.length && d < together.length && alone[d] == together[d]) {
            d++;
        }
        assertTrue(d < alone.length && d < together.length, "job " + job + ": runs of different lengths");
        int[] p = prompt(job);
        int[] context = Arrays.copyOf(p, p.length + d);
        System.arraycopy(alone, 0, context, p.length, d);
        float[] logits;
        try (Session s = model.newSession(SessionOptions.defaults().withContextSize(256))) {
            s.evaluate(context);
            logits = s.logits();
        }
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float x : logits) {
            min = Math.min(min, x);
            max = Math.max(max, x);
        }
        double gap = Math.abs(logits[alone[d]] - logits[together[d]]);
        System.out.printf("job %d parted at token %d of %d: %d or %d, logits %.7f and %.7f (spread %.3f)%n", job, d,
                alone.length, alone[d], together[d], logits[alone[d]], logits[together[d]], max - min);
        assertTrue(gap <= margin * (max - min), "job " + job + " parted from its run alone at token " + d + " ("
                + alone[d] + " alone, " + together[d] + " in company) where the logits differ by " + gap);
    }

    /** One of four sessions is cancelled mid-prompt, then mid-generation: the other three finish correctly. */
    @Test
    void cancellingOneOfFourSessionsLeavesTheOthersAlone() throws Exception {
        // F32 weights at 512 wide keep a 600-token prompt busy for a while
        Path file = Parity.LLAMA_512.withTypes(io.github.ggml4j.gguf.GgmlType.F32).withTiedOutput(true).cached();
        // a KV stream per session and the plain attention path: a session's arithmetic does not depend on what
        // shares its steps (in one shared cache its cells would sit elsewhere, and its sums round elsewhere), so the
        // tokens must be equal
        ModelOptions o = ModelOptions.defaults().withThreads(2).withContextSize(4 * 2048).withKvStreams(4)
                .withBatchSize(64).withCachedPrompts(0).withFlashAttention(false);
        int[][] prompts = new int[4][];
        int[][] expected = new int[4][];
        for (int i = 0; i < 4; i++) {
            prompts[i] = Parity.prompt(i == 0 ? 600 : 12 + i, 3000 + i);
        }
        try (Model model = Model.load(file, o)) {
            for (int i = 1; i < 4; i++) {
                try (Session s = model.newSession(SessionOptions.defaults().withContextSize(2048))) {
                    expected[i] = s.generate(prompts[i], GenerateOptions.greedy(12), null).tokens();
                }
            }
        }
        try (Model model = Model.load(file, o)) {
            for (String when : new String[] {"prompt", "generation"}) {
                Session victim = model.newSession(SessionOptions.defaults().withContextSize(2048));
                List<Session> others = new ArrayList<>();
                List<CompletableFuture<int[]>> work = new ArrayList<>();
                CountDownLatch generating = new CountDownLatch(1);
                CompletableFuture<int[]> victimWork = Background.start(() -> victim.generate(
                        when.equals("prompt") ? prompts[0] : prompts[1], GenerateOptions.greedy(100_000),
                        (id, text) -> generating.countDown()).tokens());
                for (int i = 1; i < 4; i++) {
                    Session s = model.newSession(SessionOptions.defaults().withContextSize(2048));
                    others.add(s);
                    int[] p = prompts[i];
                    work.add(Background.start(() -> s.generate(p, GenerateOptions.greedy(12), null).tokens()));
                }
                if (when.equals("prompt")) {
                    Thread.sleep(200);
                    assertTrue(!victimWork.isDone(), "the long prompt is still being evaluated");
                } else {
                    assertTrue(generating.await(60, TimeUnit.SECONDS), "the victim started generating");
                }
                victim.cancel();
                try {
                    victimWork.get(30, TimeUnit.SECONDS);
                    fail("the cancelled session finished");
                } catch (ExecutionException e) {
                    assertInstanceOf(CancelledException.class, e.getCause(), when);
                }
                for (int i = 1; i < 4; i++) {
                    assertArrayEquals(expected[i], work.get(i - 1).get(120, TimeUnit.SECONDS),
                            "session " + i + " after cancelling another during its " + when);
                }
                // the cancelled session is usable and computes as the others do
                victim.clear();
                assertArrayEquals(expected[2], victim.generate(prompts[2], GenerateOptions.greedy(12), null).tokens(),
                        "the cancelled session, reused");
                victim.close();
                others.forEach(Session::close);
            }
        }
    }
}
