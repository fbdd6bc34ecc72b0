package io.github.ggml4j.behaviour;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.session.BeamOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.testing.SyntheticGguf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On a model with a 6-token vocabulary, beam search as wide as every prefix (6^2 = 36 beams for 3 tokens) must
 * return the most likely 3-token continuation, found here by scoring all 216 of them.
 */
class BeamSearchExhaustiveTest {

    static final int VOCAB = 6;
    static final int EMBD = 32;
    static final int LENGTH = 3;

    static Path tinyModel(Path dir) {
        SyntheticGguf g = SyntheticGguf.create("llama").seed(21);
        g.putString("general.name", "tiny-vocab").putUInt32("llama.context_length", 64)
                .putUInt32("llama.embedding_length", EMBD).putUInt32("llama.block_count", 1)
                .putUInt32("llama.feed_forward_length", 64).putUInt32("llama.attention.head_count", 4)
                .putUInt32("llama.attention.head_count_kv", 2).putUInt32("llama.vocab_size", VOCAB)
                .putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f).putFloat32("llama.rope.freq_base", 10000f);
        g.randomTensor("token_embd.weight", GgmlType.F32, 1.0, EMBD, VOCAB);
        String p = "blk.0.";
        g.tensor(p + "attn_norm.weight", GgmlType.F32, ones(EMBD), EMBD);
        g.randomTensor(p + "attn_q.weight", GgmlType.F32, 0.3, EMBD, EMBD);
        g.randomTensor(p + "attn_k.weight", GgmlType.F32, 0.3, EMBD, EMBD / 2);
        g.randomTensor(p + "attn_v.weight", GgmlType.F32, 0.3, EMBD, EMBD / 2);
        g.randomTensor(p + "attn_output.weight", GgmlType.F32, 0.3, EMBD, EMBD);
        g.tensor(p + "ffn_norm.weight", GgmlType.F32, ones(EMBD), EMBD);
        g.randomTensor(p + "ffn_gate.weight", GgmlType.F32, 0.3, EMBD, 64);
        g.randomTensor(p + "ffn_up.weight", GgmlType.F32, 0.3, EMBD, 64);
        g.randomTensor(p + "ffn_down.weight", GgmlType.F32, 0.3, 64, EMBD);
        g.tensor("output_norm.weight", GgmlType.F32, ones(EMBD), EMBD);
        g.randomTensor("output.weight", GgmlType.F32, 1.0, EMBD, VOCAB);
        return g.write(dir.resolve("tiny-vocab.gguf"));
    }

    static float[] ones(int n) {
        float[] v = new float[n];
        Arrays.fill(v, 1f);
        return v;
    }

    static double score(Model m, int[] prompt, int[] continuation) {
        return BeamSearchTest.score(m, prompt, continuation);
    }

    @Test
    void aBeamAsWideAsEveryPrefixFindsTheExhaustiveBest(@TempDir Path dir) {
        int[] prompt = {1, 4, 2};
        try (Model m = Model.load(tinyModel(dir), ModelOptions.defaults().withThreads(2).withContextSize(64)
                .withCachedPrompts(0).withFlashAttention(false))) {
            int[] best = null;
            double bestScore = Double.NEGATIVE_INFINITY;
            double second = Double.NEGATIVE_INFINITY;
            for (int a = 0; a < VOCAB; a++) {
                for (int b = 0; b < VOCAB; b++) {
                    for (int c = 0; c < VOCAB; c++) {
                        int[] seq = {a, b, c};
                        double sc = score(m, prompt, seq);
                        if (sc > bestScore) {
                            second = bestScore;
                            bestScore = sc;
                            best = seq;
                        } else if (sc > second) {
                            second = sc;
                        }
                    }
                }
            }
            assertTrue(bestScore - second > 1e-4, "the best sequence must be unique to compare against");
            try (Session s = m.newSession()) {
                Generation g = s.beamSearch(prompt, new BeamOptions(VOCAB * VOCAB, LENGTH, 0, false));
                assertArrayEquals(best, g.tokens(), "beam " + Arrays.toString(g.tokens()) + " vs exhaustive "
                        + Arrays.toString(best) + " (" + bestScore + ")");
            }
            // and greedy, a beam of one, is no better than the exhaustive best: up to float rounding, since the
            // same tokens in other KV cells are summed in other SIMD lanes (scores differ by ~1e-9 then)
            try (Session s = m.newSession()) {
                Generation g = s.beamSearch(prompt, new BeamOptions(1, LENGTH, 0, false));
                assertEquals(LENGTH, g.tokens().length);
                double greedy = score(m, prompt, g.tokens());
                assertTrue(greedy <= bestScore + 1e-6 * Math.max(1, Math.abs(bestScore)), "greedy "
                        + Arrays.toString(g.tokens()) + " scores " + greedy + ", above the exhaustive best "
                        + Arrays.toString(best) + " (" + bestScore + ")");
            }
        }
    }
}
