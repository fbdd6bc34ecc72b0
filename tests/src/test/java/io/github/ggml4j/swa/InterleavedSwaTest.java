package io.github.ggml4j.swa;

import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.arch.Recipes;
import io.github.ggml4j.gguf.GgufFile;
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
import io.github.ggml4j.testing.SyntheticOlmo2;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Interleaved sliding-window attention (iSWA) on a synthetic OLMo 3 ({@code olmo2} with a sliding window):
 * windowed layers in a rolling buffer of W slots per sequence, dense layers in the full cache. Compared with
 * llama.cpp beyond the window (its iSWA cache with {@code swa_full} on and off), with the full-cache reference
 * layout at every position, and through sequence operations and state round trips.
 */
class InterleavedSwaTest {

    static final int CTX = 1024;

    static Path model(int w) {
        return SyntheticOlmo2.of(64, 4, 4, 2, 192).withWindow(w).cached();
    }

    static ModelOptions options(KvLayout layout, boolean fa) {
        return ModelOptions.defaults().withThreads(2).withContextSize(CTX).withBatchSize(512).withCachedPrompts(0)
                .withKvCacheType(KvCacheType.F32).withFlashAttention(fa).withKvLayout(layout);
    }

    static HParams hparams(Path file) {
        try (GgufFile f = GgufFile.open(file)) {
            return Recipes.forArchitecture("olmo2").hparams(f.metadata());
        }
    }

    @Test
    void windowPatternIsReadAsLlamaCppReadsIt() {
        // the default period 4: the last layer of each four is dense
        HParams hp = hparams(SyntheticOlmo2.of(64, 8, 4, 2, 192).withWindow(16).cached());
        assertEquals(16, hp.slidingWindow());
        boolean[] expect = {true, true, true, false, true, true, true, false};
        for (int il = 0; il < 8; il++) {
            assertEquals(expect[il], hp.isSwa(il), "layer " + il);
        }
        assertTrue(hp.mixedSwa());
        // an explicit period
        hp = hparams(SyntheticOlmo2.of(64, 4, 4, 2, 192).withWindow(16).withPeriod(2).cached());
        assertEquals(List.of(true, false, true, false), hp.swaLayers());
        // period 0: every layer windowed (no pattern needed)
        hp = hparams(SyntheticOlmo2.of(64, 4, 4, 2, 192).withWindow(16).withPeriod(0).cached());
        assertFalse(hp.mixedSwa());
        assertTrue(hp.isSwa(3));
        // one flag per layer
        hp = hparams(SyntheticOlmo2.of(64, 4, 4, 2, 192).withWindow(16).withFlags(false, true, true, false).cached());
        assertEquals(List.of(false, true, true, false), hp.swaLayers());
    }

    /** A pattern that does not fit the layers, or of the wrong type, is a typed error naming the key. */
    @Test
    void aBadPatternIsATypedError(@org.junit.jupiter.api.io.TempDir Path dir) {
        String key = "olmo2.attention.sliding_window_pattern";
        List<io.github.ggml4j.gguf.GgufValue> bad = List.of(
                io.github.ggml4j.gguf.GgufArray.ofBooleans(true, false, true),
                io.github.ggml4j.gguf.GgufArray.ofFloats(1f, 0f, 1f, 0f),
                new io.github.ggml4j.gguf.GgufValue.Int32(-2));
        int i = 0;
        for (io.github.ggml4j.gguf.GgufValue v : bad) {
            Path f = dir.resolve("bad" + i++ + ".gguf");
            SyntheticOlmo2.of(64, 4, 4, 2, 192).withWindow(16).writer().set(key, v).write(f);
            io.github.ggml4j.ModelException e = assertThrows(io.github.ggml4j.ModelException.class,
                    () -> Model.load(f, options(KvLayout.ROLLING, false)).close());
            assertTrue(e.getMessage().contains(key) || e.getMessage().contains("pattern"), e.getMessage());
        }
    }

    static Stream<Arguments> beyondWindow() {
        return Stream.of(16, 32).flatMap(w -> Stream.of(
                Arguments.of(w, false, KvLayout.ROLLING), Arguments.of(w, true, KvLayout.ROLLING),
                Arguments.of(w, false, KvLayout.FULL), Arguments.of(w, true, KvLayout.FULL)));
    }

    /**
     * 8·W greedy tokens after a prompt of 3·W + 5 (so the prompt itself is chunked past the window) equal
     * llama.cpp's on the same file, with its windowed-layer cache full-size ({@code swa_full} = 1, the C API's
     * default) or only the window plus one micro-batch of W ({@code swa_full} = 0: 256 cells, reused once
     * the sequence passes them). The prompt's last logits agree to NMSE 1e-6. Without flash attention: with
     * it, llama.cpp's F32-KV flash attention differs from its own plain path by NMSE ~3e-6 (ggml4j's by
     * ~1e-12), enough to flip a near-tie (a margin of 0.0014 at token 145 for W = 32).
     */
    @ParameterizedTest(name = "W={0} swa_full={1} ggml4j {2}")
    @MethodSource("beyondWindow")
    void beyondTheWindowGreedyTokensEqualLlamaCpp(int w, boolean swaFull, KvLayout layout) {
        Path file = model(w);
        int[] prompt = Parity.prompt(3 * w + 5, 700 + w);
        LlamaCpp.Result ref = LlamaCpp.run(file, prompt, 8 * w, CTX, w, false,
                List.of("-ub", Integer.toString(w), "--swa-full", swaFull ? "1" : "0", "-ctk", "f32"));
        try (Model m = Model.load(file, options(layout, false).withBatchSize(w));
             Session s = m.newSession(SessionOptions.defaults().withContextSize(CTX))) {
            s.evaluate(prompt);
            double nmse = Errors.nmse(ref.logits(), s.logits());
            s.clear();
            int agree = Parity.assertGreedyAgrees(ref.generated(), s.generate(prompt, GenerateOptions.greedy(8 * w),
                    null), "olmo2 iSWA W=" + w + " swa_full=" + swaFull + " " + layout);
            System.out.printf("olmo2 iSWA W=%d, llama.cpp swa_full=%d, ggml4j %s: %d of %d greedy tokens equal, "
                    + "prompt logits NMSE %.2e%n", w, swaFull ? 1 : 0, layout, agree, ref.generated().length, nmse);
            assertTrue(nmse <= 1e-6, "prompt logits NMSE " + nmse);
            assertTrue(agree >= 8 * w - 1, "llama.cpp stopped early: " + agree);
        }
    }

    @Test
    void shorterThanTheWindowGreedyTokensEqualLlamaCpp() {
        Path file = model(64);
        int[] prompt = Parity.prompt(20, 710);
        LlamaCpp.Result ref = LlamaCpp.run(file, prompt, 24, CTX, 512, true, List.of("--swa-full", "0", "-ctk", "f32"));
        try (Model m = Model.load(file, options(KvLayout.ROLLING, true));
             Session s = m.newSession(SessionOptions.defaults().withContextSize(CTX))) {
            Parity.assertGreedyAgrees(ref.generated(), s.generate(prompt, GenerateOptions.greedy(24), null),
                    "olmo2 iSWA W=64, 44 positions");
        }
    }

    static float[][] run(Path file, ModelOptions o, int[] tokens, int split) {
        try (Model m = Model.load(file, o); Session s = m.newSession(SessionOptions.defaults().withContextSize(CTX))) {
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

    /** Rolling windowed layers + full dense layers vs both in full caches (window by mask), every position. */
    @ParameterizedTest(name = "flashAttention={0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void rollingEqualsTheFullLayoutAtEveryPosition(boolean fa) {
        int w = 16;
        Path file = model(w);
        int[] tokens = Parity.prompt(8 * w, 720);
        int split = 2 * w + 3;
        float[][] rolling = run(file, options(KvLayout.ROLLING, fa), tokens, split);
        float[][] full = run(file, options(KvLayout.FULL, fa), tokens, split);
        float[][] noWindow = run(file, options(KvLayout.FULL, fa).withSlidingWindow(0), tokens, split);
        double worst = 0;
        for (int p = 0; p < tokens.length; p++) {
            double nmse = Errors.nmse(full[p], rolling[p]);
            worst = Math.max(worst, nmse);
            assertTrue(nmse <= 1e-6, "position " + p + ": NMSE " + nmse);
        }
        System.out.printf("olmo2 iSWA rolling vs full layout, W=%d fa=%d, %d positions: worst NMSE %.2e%n", w,
                fa ? 1 : 0, tokens.length, worst);
        assertTrue(Errors.nmse(full[tokens.length - 1], noWindow[tokens.length - 1]) > 1e-4,
                "the window makes no difference: the test would not notice it missing");
    }

    @Test
    void sequencesForkTruncateStateAndMemory() {
        int w = 16;
        Path file = model(w);
        ModelOptions o = options(KvLayout.ROLLING, false);
        int[] a = Parity.prompt(40, 730);
        int[] b = Parity.prompt(25, 731);
        int[] expectA;
        int[] expectB;
        try (Model m = Model.load(file, o)) {
            try (Session s = m.newSession()) {
                expectA = s.generate(a, GenerateOptions.greedy(30), null).tokens();
            }
            try (Session s = m.newSession()) {
                expectB = s.generate(b, GenerateOptions.greedy(30), null).tokens();
            }
        }
        try (Model m = Model.load(file, o)) {
            Engine engine = ModelAccess.get().engine(m);
            HParams hp = hparams(file);
            long row = 2L * 4 * hp.nEmbdKGqa(); // F32 K and V of one layer at one position
            int blocks = CTX / w;
            long expected = (long) blocks * w * 3 * row + (long) CTX * 1 * row;
            assertEquals(expected, engine.stats().memoryBytes(),
                    "3 windowed layers of W slots per sequence + 1 dense layer of " + CTX + " cells");
            try (Session sa = m.newSession(); Session sb = m.newSession()) {
                var fa = java.util.concurrent.CompletableFuture.supplyAsync(
                        () -> sa.generate(a, GenerateOptions.greedy(30), null).tokens());
                assertArrayEquals(expectB, sb.generate(b, GenerateOptions.greedy(30), null).tokens(), "b batched with a");
                assertArrayEquals(expectA, fa.join(), "a batched with b");
            }
            try (Session s = m.newSession()) {
                s.evaluate(a);
                try (Session f = s.fork()) {
                    assertArrayEquals(expectA, f.generate(new int[0], GenerateOptions.greedy(30), null).tokens(), "fork");
                }
                byte[] state = s.saveState();
                try (Session r = m.restoreSession(state)) {
                    assertArrayEquals(expectA, r.generate(new int[0], GenerateOptions.greedy(30), null).tokens(),
                            "restored");
                }
                // a state of another layout does not fit
                try (Model other = Model.load(file, options(KvLayout.FULL, false))) {
                    assertThrows(io.github.ggml4j.Ggml4jException.class, () -> other.restoreSession(state).close());
                }
                ContextOverflowException e = assertThrows(ContextOverflowException.class, () -> s.truncate(10));
                assertTrue(e.getMessage().contains("rolling"), e.getMessage());
                assertEquals(a.length, s.position());
                s.truncate(a.length - 1);
                assertArrayEquals(expectA, s.generate(new int[] {a[a.length - 1]}, GenerateOptions.greedy(30), null)
                        .tokens(), "after a one-token rewind");
            }
            assertEquals(0, engine.stats().usedCells());
        }
    }
}
