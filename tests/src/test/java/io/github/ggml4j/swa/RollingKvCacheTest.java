package io.github.ggml4j.swa;

import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.model.KvCacheType;
import io.github.ggml4j.model.KvLayout;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.LlamaCpp;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.runtime.Engine;
import io.github.ggml4j.runtime.ModelAccess;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.testing.ReferenceLlama;
import io.github.ggml4j.testing.SyntheticLlama;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sliding-window attention with the rolling-buffer KV cache (W slots per sequence, position i in slot i mod W)
 * on the tiny F32 Llama: against the full cache with a window mask at every position, including right after
 * each wrap; against a float64 reference of windowed attention; against llama.cpp within the window.
 */
class RollingKvCacheTest {

    static Path file() {
        return Parity.TINY.cached();
    }

    static ModelOptions options(int window, KvLayout layout, boolean fa) {
        return ModelOptions.defaults().withThreads(2).withContextSize(1024).withCachedPrompts(0)
                .withKvCacheType(KvCacheType.F32).withFlashAttention(fa).withSlidingWindow(window).withKvLayout(layout);
    }

    static Stream<Arguments> windows() {
        return Stream.of(16, 32, 64).flatMap(w -> Stream.of(Arguments.of(w, false), Arguments.of(w, true)));
    }

    /** Logits after every token, the prompt in one call (chunks of at most W) then tokens one at a time. */
    static float[][] run(ModelOptions o, int[] tokens, int split) {
        try (Model m = Model.load(file(), o); Session s = m.newSession(SessionOptions.defaults().withContextSize(1024))) {
            float[][] out = new float[tokens.length][];
            float[][] first = s.evaluateAll(Arrays.copyOf(tokens, split));
            System.arraycopy(first, 0, out, 0, split);
            for (int i = split; i < tokens.length; i++) {
                s.evaluate(tokens[i]);
                out[i] = s.logits();
            }
            return out;
        }
    }

    @ParameterizedTest(name = "W={0} flashAttention={1}")
    @MethodSource("windows")
    void rollingEqualsFullCacheWithWindowMaskAtEveryPosition(int w, boolean fa) {
        int[] tokens = Parity.prompt(8 * w, 500 + w);
        int split = 3 * w + 5; // a prompt of several chunks, then decode steps through five more wraps
        float[][] rolling = run(options(w, KvLayout.ROLLING, fa), tokens, split);
        float[][] full = run(options(w, KvLayout.FULL, fa), tokens, split);
        double worst = 0;
        for (int p = 0; p < tokens.length; p++) {
            double nmse = Errors.nmse(full[p], rolling[p]);
            worst = Math.max(worst, nmse);
            assertTrue(nmse <= 1e-6, "W=" + w + " position " + p + ": NMSE " + nmse);
        }
        System.out.printf("rolling vs full+mask, W=%d fa=%d, %d positions: worst NMSE %.2e%n", w, fa ? 1 : 0,
                tokens.length, worst);
    }

    @ParameterizedTest(name = "W={0}")
    @ValueSource(ints = {16, 32})
    void matchesAFloat64ReferenceOfWindowedAttention(int w) {
        SyntheticLlama spec = Parity.TINY;
        ReferenceLlama ref = new ReferenceLlama(spec.referenceConfig(), SyntheticLlama.readWeights(file()));
        int[] tokens = Parity.prompt(6 * w, 600 + w);
        ReferenceLlama.Session rs = ref.session(w);
        double[][] expected = new double[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            expected[i] = rs.next(tokens[i]);
        }
        float[][] got = run(options(w, KvLayout.ROLLING, true), tokens, 2 * w + 3);
        double worst = 0;
        for (int p = 0; p < tokens.length; p++) {
            worst = Math.max(worst, Errors.nmse(expected[p], got[p]));
        }
        System.out.printf("rolling W=%d vs float64 windowed reference: worst NMSE %.2e over %d positions%n", w, worst,
                tokens.length);
        assertTrue(worst <= 1e-6, "worst NMSE " + worst);
        // and the window matters: without it the model computes something else past W
        float[][] unwindowed = run(options(0, KvLayout.ROLLING, true), tokens, 2 * w + 3);
        assertTrue(Errors.nmse(expected[tokens.length - 1], unwindowed[tokens.length - 1]) > 1e-4,
                "the test would not notice a missing window");
    }

    /**
     * A Q8_0 ring (32-wide heads): generation steps read the ring as the full cache reads its cells; a prompt
     * chunk reads its own keys rounded to Q8_0 and back, in F32, where the full cache's flash attention takes the
     * quantized dot product, hence the looser bound.
     */
    @Test
    void quantizedRingFollowsTheFullCache() {
        Path q = SyntheticLlama.llama(128, 2, 4, 2, 256).withStd(0.1).withSeed(8).cached();
        int w = 32;
        int[] tokens = Parity.prompt(6 * w, 640);
        float[][] byLayout = new float[2][];
        for (KvLayout layout : KvLayout.values()) {
            try (Model m = Model.load(q, options(w, layout, true).withKvCacheType(KvCacheType.Q8_0));
                 Session s = m.newSession(SessionOptions.defaults().withContextSize(1024))) {
                s.evaluate(Arrays.copyOf(tokens, 2 * w + 7));
                for (int i = 2 * w + 7; i < tokens.length; i++) {
                    s.evaluate(tokens[i]);
                }
                byLayout[layout.ordinal()] = s.logits();
            }
        }
        double nmse = Errors.nmse(byLayout[0], byLayout[1]);
        System.out.printf("Q8_0 ring vs Q8_0 full cache, W=%d, last of %d positions: NMSE %.2e%n", w, tokens.length, nmse);
        assertTrue(nmse <= 2e-3, "NMSE " + nmse);
    }

    @Test
    void withinTheWindowGreedyTokensEqualLlamaCpp() {
        int[] prompt = Parity.prompt(20, 610);
        LlamaCpp.Result ref = LlamaCpp.run(file(), prompt, 24, Parity.CTX, 512, true);
        try (Model m = Model.load(file(), Parity.options(true).withSlidingWindow(64));
             Session s = m.newSession(Parity.session())) {
            assertEquals(64, ModelAccess.get().engine(m).options().slidingWindow());
            assertTrue(ModelAccess.get().engine(m).options().rolling());
            Parity.assertGreedyAgrees(ref.generated(), s.generate(prompt, GenerateOptions.greedy(24), null),
                    "rolling W=64, 44 positions");
        }
    }

    @Test
    void batchedSequencesForkTruncateAndStateRoundTrip() {
        int w = 16;
        // without flash attention, whose tiling depends on how many rows share a step: batched equals alone exactly
        ModelOptions o = options(w, KvLayout.ROLLING, false);
        int[] a = Parity.prompt(40, 620);
        int[] b = Parity.prompt(25, 621);
        int[] expectA;
        int[] expectB;
        try (Model m = Model.load(file(), o)) {
            try (Session s = m.newSession()) {
                expectA = s.generate(a, GenerateOptions.greedy(30), null).tokens();
            }
            try (Session s = m.newSession()) {
                expectB = s.generate(b, GenerateOptions.greedy(30), null).tokens();
            }
        }
        try (Model m = Model.load(file(), o)) {
            Engine engine = ModelAccess.get().engine(m);
            // two sequences at once, batched together
            try (Session sa = m.newSession(); Session sb = m.newSession()) {
                var fa = java.util.concurrent.CompletableFuture.supplyAsync(
                        () -> sa.generate(a, GenerateOptions.greedy(30), null).tokens());
                int[] gotB = sb.generate(b, GenerateOptions.greedy(30), null).tokens();
                assertArrayEquals(expectB, gotB, "sequence b batched with a");
                assertArrayEquals(expectA, fa.join(), "sequence a batched with b");
                assertEquals(2 * w, engine.stats().usedCells(), "each sequence holds exactly W slots");
            }
            try (Session s = m.newSession()) {
                s.evaluate(a);
                // a fork copies the ring and goes on like the original
                try (Session f = s.fork()) {
                    assertArrayEquals(expectA, f.generate(new int[0], GenerateOptions.greedy(30), null).tokens(),
                            "the fork");
                }
                // a state round trip
                byte[] state = s.saveState();
                try (Session r = m.restoreSession(state)) {
                    assertArrayEquals(expectA, r.generate(new int[0], GenerateOptions.greedy(30), null).tokens(),
                            "restored");
                }
                // rewinding past what the ring still holds is refused, and leaves the session as it was
                ContextOverflowException e = assertThrows(ContextOverflowException.class, () -> s.truncate(10));
                assertTrue(e.getMessage().contains("rolling"), e.getMessage());
                assertEquals(a.length, s.position());
                s.truncate(a.length - 1); // one step back is still in the window
                assertArrayEquals(expectA, s.generate(new int[] {a[a.length - 1]}, GenerateOptions.greedy(30), null)
                        .tokens(), "after a one-token rewind");
            }
        }
    }

    @Test
    void memoryStaysWSlotsHoweverLongTheSequenceGrows() {
        int w = 32;
        try (Model m = Model.load(file(), options(w, KvLayout.ROLLING, true).withContextSize(4 * w));
             Session s = m.newSession(SessionOptions.defaults().withContextSize(64 * w))) {
            Engine engine = ModelAccess.get().engine(m);
            long bytes = engine.stats().memoryBytes();
            int[] seq = Parity.prompt(16 * w, 630);
            s.evaluate(Arrays.copyOf(seq, w));
            for (int i = w; i < seq.length; i++) {
                s.evaluate(seq[i]);
            }
            assertEquals(16 * w, s.position());
            Engine.Stats st = engine.stats();
            assertEquals(w, st.usedCells(), "one sequence holds W slots after 16 W tokens");
            assertEquals(bytes, st.memoryBytes(), "no memory was added");
            System.out.printf("rolling cache W=%d: %,d bytes for 4 sequences of W slots (%,d per sequence) after %d "
                    + "tokens%n", w, bytes, bytes / 4, seq.length);
        }
    }
}
