package io.github.ggml4j.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ggml4j perplexity} against llama.cpp's {@code llama-perplexity} on the same F32 model and text: the same
 * chunks, scored positions and BOS handling give the same perplexity (1e-4 relative), and the KL-divergence mode
 * gives the same statistics, also when each reads the other's base log-probability file.
 */
class PerplexityParityTest {

    static final String CTX = "128";
    static final String CHUNKS = "3";

    @TempDir
    static Path dir;

    static Path base;
    static Path quantized;
    static Path text;

    @BeforeAll
    static void models() {
        base = QuantModels.TIED_F32.cached();
        text = QuantModels.text(3000);
        quantized = dir.resolve("q4_k_m.gguf");
        Cli.Result q = Cli.run("quantize", "-q", base.toString(), quantized.toString(), "Q4_K_M", "2");
        assertEquals(0, q.exit(), q.all());
    }

    static double number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), "no match for " + regex + " in\n" + text);
        return Double.parseDouble(m.group(1));
    }

    static List<Double> chunks(String text) {
        List<Double> v = new ArrayList<>();
        Matcher m = Pattern.compile("\\[(\\d+)\\]([0-9.]+),").matcher(text);
        while (m.find()) {
            v.add(Double.parseDouble(m.group(2)));
        }
        return v;
    }

    static void assertRelative(double expected, double actual, double tolerance, String what) {
        assertTrue(Math.abs(actual - expected) <= tolerance * Math.abs(expected),
                what + ": llama.cpp " + expected + ", ggml4j " + actual);
    }

    /** llama-perplexity's output, stdout and stderr. */
    static String reference(String... args) {
        ReferenceTool.Output o = ReferenceTool.check(600, "llama-perplexity", args);
        return o.text() + "\n" + o.stderr();
    }

    @Test
    void perplexityEqualsLlamaPerplexity() {
        String ref = reference("-m", base.toString(), "-f", text.toString(), "-c", CTX, "-b", CTX, "--chunks", CHUNKS,
                "-t", "2");
        Cli.Result ours = Cli.run("perplexity", "-m", base.toString(), "-f", text.toString(), "-c", CTX, "--chunks",
                CHUNKS, "-t", "2");
        assertEquals(0, ours.exit(), ours.all());
        String pattern = "Final estimate: PPL = ([0-9.]+)";
        assertRelative(number(ref, pattern), number(ours.out(), pattern), 1e-4, "PPL");
        assertRelative(number(ref, "PPL = [0-9.]+ \\+/- ([0-9.]+)"), number(ours.out(), "PPL = [0-9.]+ \\+/- ([0-9.]+)"),
                1e-3, "uncertainty");
        List<Double> r = chunks(ref);
        List<Double> o = chunks(ours.out());
        assertEquals(Integer.parseInt(CHUNKS), o.size(), ours.out());
        assertEquals(r.size(), o.size(), ref);
        for (int i = 0; i < r.size(); i++) {
            assertRelative(r.get(i), o.get(i), 1e-4, "chunk " + (i + 1));
        }
    }

    @Test
    void klDivergenceEqualsLlamaPerplexity() {
        Path refBase = dir.resolve("ref.kld");
        Path ourBase = dir.resolve("ours.kld");
        reference("-m", base.toString(), "-f", text.toString(), "-c", CTX, "-b", CTX, "--chunks", CHUNKS, "-t", "2",
                "--kl-divergence-base", refBase.toString());
        Cli.Result b = Cli.run("perplexity", "-m", base.toString(), "-f", text.toString(), "-c", CTX, "--chunks",
                CHUNKS, "-t", "2", "--kl-divergence-base", ourBase.toString());
        assertEquals(0, b.exit(), b.all());
        try {
            // the same logits (F32 model) quantized to the same 16-bit log-probabilities: the files are identical
            assertEquals(-1, java.nio.file.Files.mismatch(refBase, ourBase), "base log-probability files differ");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        String ref = reference("-m", quantized.toString(), "-c", CTX, "-b", CTX, "-t", "2", "--kl-divergence",
                "--kl-divergence-base", refBase.toString());
        for (Path file : List.of(ourBase, refBase)) {
            Cli.Result k = Cli.run("perplexity", "-m", quantized.toString(), "-t", "2", "--kl-divergence",
                    "--kl-divergence-base", file.toString());
            assertEquals(0, k.exit(), k.all());
            String what = " (base file " + file.getFileName() + ")";
            assertRelative(number(ref, "Mean PPL\\(Q\\)\\s*: +([0-9.]+)"),
                    number(k.out(), "Mean PPL\\(Q\\)\\s*: +([0-9.]+)"), 1e-4, "PPL(Q)" + what);
            assertRelative(number(ref, "Mean PPL\\(base\\)\\s*: +([0-9.]+)"),
                    number(k.out(), "Mean PPL\\(base\\)\\s*: +([0-9.]+)"), 1e-4, "PPL(base)" + what);
            assertRelative(number(ref, "Mean    KLD: +([0-9.]+)"), number(k.out(), "Mean    KLD: +([0-9.]+)"), 2e-3,
                    "mean KLD" + what);
            assertRelative(number(ref, "Median  KLD: +([0-9.]+)"), number(k.out(), "Median  KLD: +([0-9.]+)"), 5e-3,
                    "median KLD" + what);
            double topRef = number(ref, "Same top p: +([0-9.]+)");
            double topOurs = number(k.out(), "Same top p: +([0-9.]+)");
            assertTrue(Math.abs(topRef - topOurs) <= 100.0 * 2 / 189, "same top p: " + topRef + " vs " + topOurs);
        }
    }
}
