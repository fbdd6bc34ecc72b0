package io.github.ggml4j.parity;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.session.FinishReason;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.testing.SyntheticLlama;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Shared pieces of the parity tests: prompts, session options, what ggml4j computes, and comparisons. */
public final class Parity {

    /** The 512-wide, 4-block, GQA 8:2 Llama of the llama.cpp parity tests (give it a weight type). */
    public static final SyntheticLlama LLAMA_512 = SyntheticLlama.llama(512, 4, 8, 2, 1536).withStd(0.04);

    /** A 64-wide, 2-block, GQA 4:2 F32 Llama: quick enough for the float64 reference and behaviour tests. */
    public static final SyntheticLlama TINY = SyntheticLlama.llama(64, 2, 4, 2, 192).withStd(0.1).withSeed(5);

    /** Context used on both sides; the graphs attend over the same padded cell count. */
    public static final int CTX = 512;

    private Parity() {
    }

    /** A prompt of {@code n} ordinary token ids (no control tokens: they sit below 100 or above 30000). */
    public static int[] prompt(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = 100 + r.nextInt(29_900);
        }
        return p;
    }

    /** The engine settings of the parity runs (llama.cpp's harness gets the same context and batch). */
    public static ModelOptions options(boolean flashAttention) {
        return ModelOptions.defaults().withContextSize(CTX).withBatchSize(512).withThreads(2)
                .withFlashAttention(flashAttention).withCachedPrompts(0);
    }

    /** A session of the whole parity context. */
    public static SessionOptions session() {
        return SessionOptions.defaults().withContextSize(CTX);
    }

    /** Loads {@code file} with {@code options} and runs {@link #run(Model, int[], int)}. */
    public static Ggml4jResult run(Path file, ModelOptions options, int[] prompt, int nPredict) {
        try (Model model = Model.load(file, options)) {
            return run(model, prompt, nPredict);
        }
    }

    /** What ggml4j computes for a prompt: its last logits, and a greedy continuation from a cleared context. */
    public record Ggml4jResult(float[] logits, Generation generation) {
    }

    public static Ggml4jResult run(Model model, int[] prompt, int nPredict) {
        try (Session s = model.newSession(session())) {
            s.evaluate(prompt);
            float[] logits = s.logits();
            s.clear();
            Generation g = s.generate(prompt, GenerateOptions.greedy(nPredict), null);
            return new Ggml4jResult(logits, g);
        }
    }

    /**
     * ggml4j's greedy tokens against the harness's. The harness prints an end-of-generation token and stops;
     * ggml4j leaves that token out when it detects it, and otherwise goes on to {@code maxTokens}. Either way the
     * reference's tokens must be a prefix of ggml4j's, of exactly the reference's length.
     *
     * @return the number of agreeing tokens
     */
    public static int assertGreedyAgrees(int[] reference, Generation g, String what) {
        int[] expected = reference;
        int[] got = g.tokens();
        if (g.finishReason() == FinishReason.END_OF_GENERATION) {
            expected = Arrays.copyOf(reference, Math.max(0, reference.length - 1));
            assertEquals(expected.length, got.length, what + ": ggml4j stopped at end-of-generation elsewhere");
        }
        int common = 0;
        while (common < Math.min(expected.length, got.length) && expected[common] == got[common]) {
            common++;
        }
        assertEquals(expected.length, common, what + ": greedy tokens diverge at " + common + "\n  llama.cpp "
                + Arrays.toString(expected) + "\n  ggml4j    " + Arrays.toString(got));
        return common;
    }

    public static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3e", v);
    }
}
