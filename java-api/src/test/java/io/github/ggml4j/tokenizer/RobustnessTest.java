package io.github.ggml4j.tokenizer;

import com.sun.management.ThreadMXBean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Malformed input, huge input, and inputs that would make a quadratic merge loop crawl. */
class RobustnessTest {

    private static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "llama-bpe", "qwen2", "gpt-2", "gemma-4", "bert-bge"})
    void malformedUtf8BecomesOneReplacementPerBadByte(String vocab) {
        Tokenizer t = LlamaCpp.tokenizer(vocab);
        // truncated 3-byte sequence, stray continuation bytes, bytes that never occur in UTF-8
        assertArrayEquals(t.encode("a\uFFFD\uFFFDb", false, false), t.encode(bytes('a', 0xE2, 0x82, 'b'), false, false));
        assertArrayEquals(t.encode("\uFFFD\uFFFD x", false, false), t.encode(bytes(0x80, 0xBF, ' ', 'x'), false, false));
        assertArrayEquals(t.encode("\uFFFD\uFFFD", false, false), t.encode(bytes(0xFF, 0xFE), false, false));
        // overlong encodings and encoded surrogates are malformed too
        assertArrayEquals(t.encode("\uFFFD\uFFFD/", false, false), t.encode(bytes(0xC0, 0xAF, '/'), false, false));
        assertArrayEquals(t.encode("\uFFFD\uFFFD\uFFFD", false, false), t.encode(bytes(0xED, 0xA0, 0x80), false, false));
        // a 4-byte sequence cut short at the end
        assertArrayEquals(t.encode("ok\uFFFD\uFFFD\uFFFD", false, false),
                t.encode(bytes('o', 'k', 0xF0, 0x9F, 0xA6), false, false));
        // well-formed input is untouched
        String good = "héllo 🦙 wörld";
        assertArrayEquals(t.encode(good, false, false), t.encode(good.getBytes(StandardCharsets.UTF_8), false, false));
    }

    @Test
    void unpairedSurrogatesBecomeReplacementCharacters() {
        Tokenizer t = LlamaCpp.tokenizer("llama-bpe");
        assertArrayEquals(t.encode("a\uFFFDb", false, false), t.encode("a\uD800b", false, false));
        assertArrayEquals(t.encode("\uFFFD", false, false), t.encode("\uDC00", false, false));
        assertArrayEquals(t.encode("x\uFFFD", false, false), t.encode("x\uD83E", false, false));
        assertArrayEquals(t.encode("🦙".getBytes(StandardCharsets.UTF_8), false, false), t.encode("\uD83E\uDD99", false, false));
    }

    private static long allocatedBytes() {
        return ((ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** A 10 MB prompt of mixed text: seconds, and allocation linear in the input. */
    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "llama-bpe", "qwen2"})
    void tenMegabytePrompt(String vocab) {
        Tokenizer t = LlamaCpp.tokenizer(vocab);
        StringBuilder sb = new StringBuilder(10_000_100);
        String[] parts = {"The quick brown fox jumps over the lazy dog. ", "Съешь же ещё этих мягких французских булок. ",
            "我能吞下玻璃而不伤身体。", " 🦙🚀 ", "\n\n", "x = f(a, b) + 12345;\n\t", "   ", "naïve café ", "<|eot_id|> "};
        for (int i = 0; sb.length() < 10_000_000; i++) {
            sb.append(parts[(i * 7 + i / 3) % parts.length]);
        }
        String text = sb.toString();
        long alloc = allocatedBytes();
        long start = System.nanoTime();
        int[] ids = t.encode(text, true, true);
        double seconds = (System.nanoTime() - start) / 1e9;
        long allocated = allocatedBytes() - alloc;
        assertTrue(ids.length > 1_000_000, "tokens: " + ids.length);
        assertTrue(seconds < 30, vocab + ": 10 MB took " + seconds + " s");
        assertTrue(allocated < 150L * text.length(), vocab + ": allocated " + allocated / 1_000_000 + " MB for 10 MB");
        System.out.printf("%s: 10 MB -> %d tokens in %.2f s, %d MB allocated%n", vocab, ids.length, seconds,
                allocated / 1_000_000);
    }

    /**
     * 1 MB of one repeated character takes about ten times as long as 100 KB: the merges use a priority
     * queue, not rescans (a quadratic loop would take a hundred times as long, or never finish). The
     * bound is generous (40x), measured as the best of a few runs, so that noise does not fail it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama-spm:a", "llama-spm: ", "llama-bpe: ", "llama-bpe:a", "gpt-2: ", "qwen2:\n",
        "gemma-4: ", "bert-bge:a", "deepseek-coder: "})
    void linearInRepeatedCharacters(String spec) {
        String vocab = spec.substring(0, spec.indexOf(':'));
        String unit = spec.substring(spec.indexOf(':') + 1);
        Tokenizer t = LlamaCpp.tokenizer(vocab);
        String small = unit.repeat(100_000);
        String large = unit.repeat(1_000_000);
        t.encode(small, false, false);
        t.encode(small, false, false);
        long tSmall = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long s = System.nanoTime();
            t.encode(small, false, false);
            tSmall = Math.min(tSmall, System.nanoTime() - s);
        }
        long tLarge = Long.MAX_VALUE;
        for (int i = 0; i < 2; i++) {
            long s = System.nanoTime();
            t.encode(large, false, false);
            tLarge = Math.min(tLarge, System.nanoTime() - s);
        }
        double ratio = (double) tLarge / tSmall;
        System.out.printf("%s x %s: 100 KB %.1f ms, 1 MB %.1f ms, ratio %.1f%n", vocab,
                unit.equals("\n") ? "\\n" : "'" + unit + "'", tSmall / 1e6, tLarge / 1e6, ratio);
        assertTrue(ratio < 40, vocab + ": 1 MB took " + ratio + " times as long as 100 KB");
        assertTrue(tLarge < 10_000_000_000L, vocab + ": 1 MB took " + tLarge / 1e9 + " s");
    }

    /** Arbitrary bytes never make encoding or decoding throw, and decoding gives back what encoding saw. */
    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "phi-3", "llama-bpe", "qwen35", "deepseek-llm", "gemma-4", "bert-bge"})
    void arbitraryBytes(String vocab) {
        Tokenizer t = LlamaCpp.tokenizer(vocab);
        java.util.Random r = new java.util.Random(vocab.hashCode());
        for (int i = 0; i < 300; i++) {
            byte[] b = new byte[r.nextInt(120)];
            r.nextBytes(b);
            if (i % 2 == 0) {
                for (int k = 0; k < b.length; k++) {
                    b[k] &= 0x7F; // mostly ASCII, control characters included
                }
            }
            int[] ids = t.encode(b, i % 3 == 0, i % 5 == 0);
            for (int id : ids) {
                assertTrue(id >= 0 && id < t.vocabSize(), vocab + ": id " + id);
            }
            String decoded = t.decode(ids);
            if (t.model() == TokenizerModel.SPM && i % 3 != 0 && i % 5 != 0) {
                // SPM keeps every character (byte fallback) and drops only its own prefix space
                assertEquals(Utf8.decode(b), decoded, vocab);
            }
        }
    }

    /** One tokenizer, many threads: the same results as one thread. */
    @Test
    void threadSafe() throws Exception {
        Tokenizer t = LlamaCpp.tokenizer("llama-bpe");
        java.util.List<String> texts = java.util.List.copyOf(LlamaCpp.vectors("llama-bpe").keySet());
        java.util.List<int[]> expected = texts.stream().map(s -> t.encode(s, true, true)).toList();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            java.util.List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
            for (int k = 0; k < 8; k++) {
                results.add(pool.submit(() -> {
                    for (int round = 0; round < 20; round++) {
                        for (int i = 0; i < texts.size(); i++) {
                            if (!java.util.Arrays.equals(expected.get(i), t.encode(texts.get(i), true, true))) {
                                return false;
                            }
                        }
                    }
                    return true;
                }));
            }
            for (var r : results) {
                assertTrue(r.get());
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void emptyInput() {
        for (String vocab : new String[] {"llama-spm", "llama-bpe", "bert-bge"}) {
            Tokenizer t = LlamaCpp.tokenizer(vocab);
            assertEquals(0, t.encode("", false, false).length);
            assertEquals(0, t.encode(new byte[0], false, true).length);
            assertEquals("", t.decode(new int[0]));
        }
    }
}
