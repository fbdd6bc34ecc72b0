package io.github.ggml4j.train;

import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The training graph against the inference engine (same loss from the same weights), its gradients against
 * finite differences of its loss, and training making the loss fall.
 */
class TrainerTest {

    static final LlamaShape TINY = new LlamaShape(64, 2, 4, 128, 32, 300);
    static final String TEXT = "The quick brown fox jumps over the lazy dog. A stitch in time saves nine. "
            + "All that glitters is not gold. Where there is smoke there is fire.\n";

    @TempDir
    static Path dir;
    static Path init;
    static int[] tokens;

    @BeforeAll
    static void tinyModel() {
        init = dir.resolve("tiny-f32.gguf");
        DemoModelInit.write(TINY, BpeTrainer.train(TEXT.repeat(4), TINY.vocabSize() - 2), 7, init);
        try (GgufFile g = GgufFile.open(init)) {
            tokens = Tokenizer.fromGguf(g).encode(DemoCorpus.join(List.of(TEXT.repeat(6))), false, true);
        }
        assertTrue(tokens.length > 100, "tokens: " + tokens.length);
    }

    static final int[] WINDOWS = {3, 20, 41, 77};

    static TrainOptions options(int steps, int batch, int seqLen) {
        return new TrainOptions(steps, batch, seqLen, 1e-2f, 5, 0.1f, 0f, 10, 1, 1, 3);
    }

    /** Mean next-token cross-entropy of {@code window} by the inference engine's logits. */
    static double inferenceLoss(Path model, int[] window) {
        try (Model m = Model.load(model, ModelOptions.defaults().withThreads(1).withContextSize(64));
             Session s = m.newSession(SessionOptions.defaults().withContextSize(64))) {
            float[][] logits = s.evaluateAll(Arrays.copyOf(window, window.length - 1));
            double sum = 0;
            for (int i = 0; i < logits.length; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (float v : logits[i]) {
                    max = Math.max(max, v);
                }
                double z = 0;
                for (float v : logits[i]) {
                    z += Math.exp(v - max);
                }
                sum += Math.log(z) + max - logits[i][window[i + 1]];
            }
            return sum / logits.length;
        }
    }

    @Test
    void theTrainingGraphComputesTheInferenceEnginesLoss() {
        int len = 24;
        try (Trainer t = new Trainer(init, TINY, options(1, 1, len))) {
            double ours = t.run(tokens, new int[] {5}, false);
            double engine = inferenceLoss(init, Arrays.copyOfRange(tokens, 5, 5 + len + 1));
            assertEquals(engine, ours, 1e-4 * engine, "loss of the untrained model");
            assertEquals(Math.log(TINY.vocabSize()), ours, 0.2, "an untrained model is near uniform");
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        int[] offsets = {0, 17};
        List<String> failures = new ArrayList<>();
        int checked = 0;
        try (Trainer t = new Trainer(init, TINY, options(1, 2, 16), 2)) {
            t.run(tokens, offsets, true); // optimizer period 2: this pass only accumulates gradients
            for (String name : List.of("token_embd.weight", "blk.0.attn_norm.weight", "blk.0.attn_q.weight",
                    "blk.1.attn_k.weight", "blk.0.attn_v.weight", "blk.1.attn_output.weight", "blk.0.ffn_norm.weight",
                    "blk.1.ffn_gate.weight", "blk.0.ffn_up.weight", "blk.1.ffn_down.weight", "output_norm.weight",
                    "output.weight")) {
                float[] grad = t.gradient(name);
                float[] w = t.read(name);
                for (int idx : largest(grad, 2)) {
                    float eps = 1e-2f * Math.max(1f, Math.abs(w[idx]));
                    float[] p = w.clone();
                    p[idx] = w[idx] + eps;
                    t.write(name, p);
                    double up = t.run(tokens, offsets, false);
                    p[idx] = w[idx] - eps;
                    t.write(name, p);
                    double down = t.run(tokens, offsets, false);
                    t.write(name, w);
                    double fd = (up - down) / (2 * eps);
                    checked++;
                    if (Math.abs(fd - grad[idx]) > 0.05 * Math.abs(grad[idx]) + 2e-4) {
                        failures.add(name + "[" + idx + "]: backward " + grad[idx] + ", finite difference " + fd);
                    }
                }
            }
        }
        assertEquals(24, checked);
        assertEquals(List.of(), failures);
    }

    static int[] largest(float[] v, int n) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> Float.compare(Math.abs(v[b]), Math.abs(v[a])));
        return Arrays.stream(idx, 0, n).mapToInt(Integer::intValue).toArray();
    }

    @Test
    void trainingLowersTheLossAndTheSavedModelRunsInTheEngine() {
        int len = 24;
        Path out = dir.resolve("trained-f32.gguf");
        TrainReport r;
        double before;
        double after;
        try (Trainer t = new Trainer(init, TINY, options(60, 4, len))) {
            before = t.run(tokens, WINDOWS, false);
            r = t.train(tokens, tokens, line -> { });
            after = t.run(tokens, WINDOWS, false);
            t.save(out);
        }
        assertEquals(60, r.steps());
        assertEquals(7, r.curve().size(), "step 0 and every 10 steps");
        assertTrue(r.last().evalLoss() < 0.5 * r.curve().getFirst().evalLoss(), r.curve().toString());
        assertTrue(after < 0.5 * before, before + " -> " + after);
        double engine = 0;
        for (int w : WINDOWS) {
            engine += inferenceLoss(out, Arrays.copyOfRange(tokens, w, w + len + 1)) / WINDOWS.length;
        }
        assertEquals(engine, after, 1e-3 * after, "the trained model's loss in the inference engine");
    }

    @Test
    void badInputIsRefusedBeforeNativeCode() {
        assertThrows(IllegalArgumentException.class, () -> new Trainer(init, TINY, options(1, 1, 64)),
                "sequence longer than the context");
        LlamaShape wrong = new LlamaShape(64, 3, 4, 128, 32, 300);
        assertThrows(IllegalArgumentException.class, () -> new Trainer(init, wrong, options(1, 1, 16)));
        try (Trainer t = new Trainer(init, TINY, options(1, 1, 16))) {
            assertThrows(IllegalArgumentException.class, () -> t.train(new int[10], tokens, l -> { }));
            int[] bad = tokens.clone();
            bad[5] = 5000;
            assertThrows(IllegalArgumentException.class, () -> t.run(bad, new int[] {0}, false));
            assertThrows(IllegalArgumentException.class, () -> t.run(tokens, new int[] {0, 1}, false),
                    "two windows for a batch of one");
        }
        assertThrows(IllegalArgumentException.class, () -> LlamaShape.parse("64,2,4"));
        assertThrows(IllegalArgumentException.class, () -> new LlamaShape(60, 2, 4, 128, 32, 300));
        assertThrows(IllegalArgumentException.class,
                () -> new TrainOptions(1, 1, 16, 0f, 0, 0.1f, 0f, 1, 1, 1, 0));
    }

    @Test
    void learningRateWarmsUpThenDecays() {
        TrainOptions o = new TrainOptions(100, 1, 16, 1e-3f, 10, 0.1f, 0f, 10, 1, 1, 0);
        assertEquals(1e-3f / 11, o.learningRateAt(1), 1e-9);
        assertEquals(1e-3f, o.learningRateAt(11), 1e-6);
        assertEquals(1e-4f, o.learningRateAt(100), 1e-7);
        assertTrue(o.learningRateAt(50) < o.learningRateAt(20));
    }
}
