package io.github.ggml4j.engine;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.runtime.Engine;
import io.github.ggml4j.runtime.ModelAccess;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The host-memory prompt cache ({@link ModelOptions#withPromptCache}): a closed session's context, once its cells
 * are given up (here at once: no prompts cached in the KV cache), comes back for a later prompt that starts the
 * same; the tokens generated then are those of the first run (up to a rounding tie, as for any prefix reuse:
 * the last prompt token is computed alone instead of in its chunk); the oldest entry goes first past the limit.
 */
class PromptCacheTest {

    static final int N = 16;

    static ModelOptions options(long cacheBytes) {
        return options(cacheBytes, true);
    }

    /** KV streams or the one cache shared by all sessions, no prompts kept in cells, flash attention. */
    static ModelOptions options(long cacheBytes, boolean streams) {
        return (streams ? KvStreamsTest.streamed(true) : KvStreamsTest.shared(true)).withCachedPrompts(0)
                .withPromptCache(cacheBytes);
    }

    static Generation generate(Model model, int[] prompt) {
        try (Session s = model.newSession(SessionOptions.defaults().withContextSize(KvStreamsTest.STREAM_CELLS))) {
            return s.generate(prompt, GenerateOptions.greedy(N), null);
        }
    }

    static Engine.Stats stats(Model model) {
        return ModelAccess.get().engine(model).stats();
    }

    @ParameterizedTest(name = "KV streams {0}")
    @ValueSource(booleans = {true, false})
    void aClosedSessionsPromptComesBackFromHostMemory(boolean streams) {
        int[] p = Parity.prompt(40, 2011);
        try (Model model = Model.load(KvStreamsTest.tiny(), options(64L << 20, streams));
             Model plain = Model.load(KvStreamsTest.tiny(), options(0, streams))) {
            Generation first = generate(model, p);
            assertEquals(0, first.reusedPromptTokens());
            assertEquals(1, stats(model).promptCacheEntries(), "the closed session's context is kept");
            Generation again = generate(model, p);
            assertEquals(p.length - 1, again.reusedPromptTokens(), "all but the last prompt token restored");
            assertEquals(1, stats(model).promptCacheHits());
            int[] split;
            try (Session s = plain.newSession(SessionOptions.defaults().withContextSize(KvStreamsTest.STREAM_CELLS))) {
                s.evaluate(Arrays.copyOf(p, p.length - 1));
                split = s.generate(new int[] {p[p.length - 1]}, GenerateOptions.greedy(N), null).tokens();
            }
            assertArrayEquals(split, again.tokens(), "as the prompt's last token computed on its own");

            // without the cache nothing is kept once the cells are given up
            assertEquals(0, generate(plain, p).reusedPromptTokens());
            assertEquals(0, generate(plain, p).reusedPromptTokens());
            assertEquals(0, stats(plain).promptCacheEntries());

            // a prompt that shares a prefix with an entry gets that prefix
            int[] q = Arrays.copyOf(p, p.length);
            q[30] = (q[30] + 1) % 100 + 3;
            Generation shared = generate(model, q);
            assertEquals(30, shared.reusedPromptTokens());
        }
    }

    @Test
    void theOldestEntryGoesFirstPastTheLimit() {
        int[] a = Parity.prompt(40, 3001);
        int[] b = Parity.prompt(40, 3002);
        long one;
        try (Model probe = Model.load(KvStreamsTest.tiny(), options(64L << 20))) {
            generate(probe, a);
            one = stats(probe).promptCacheBytes();
        }
        assertTrue(one > 0);
        try (Model model = Model.load(KvStreamsTest.tiny(), options(one * 3 / 2))) {
            int[] ta = generate(model, a).tokens();
            int[] tb = generate(model, b).tokens();
            assertEquals(1, stats(model).promptCacheEntries(), "room for one entry: a went when b came");
            Generation bAgain = generate(model, b);
            assertEquals(b.length - 1, bAgain.reusedPromptTokens());
            assertEquals(tb.length, bAgain.tokens().length);
            assertEquals(0, generate(model, a).reusedPromptTokens());
            assertEquals(N, ta.length);
        }
        try (Model tiny = Model.load(KvStreamsTest.tiny(), options(one / 2))) {
            generate(tiny, a);
            assertEquals(0, stats(tiny).promptCacheEntries(), "an entry larger than the whole cache is not kept");
            assertEquals(0, generate(tiny, a).reusedPromptTokens());
        }
    }

    @Test
    void aNegativeSizeIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelOptions.defaults().withPromptCache(-1));
        assertTrue(e.getMessage().contains("promptCacheBytes"), e.getMessage());
    }
}
