package io.github.ggml4j.testing;

import io.github.ggml4j.testing.ReferenceLlama.Config;
import io.github.ggml4j.testing.ReferenceLlama.RopeMode;
import io.github.ggml4j.testing.ReferenceLlamaModels.Extras;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.Map;

import static io.github.ggml4j.testing.ReferenceLlamaModels.assertClose;
import static io.github.ggml4j.testing.ReferenceLlamaModels.copy;
import static io.github.ggml4j.testing.ReferenceLlamaModels.maxAbsDiff;
import static io.github.ggml4j.testing.ReferenceLlamaModels.random;
import static io.github.ggml4j.testing.ReferenceLlamaModels.randomTokens;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Facts about the Llama forward pass that hold whatever the weights: rewrites of a model that must not change its
 * logits (GQA as duplicated KV heads, tied output, permuted heads or FFN units, scale moved between Wq and the
 * attention scale), causality, and greedy decoding as repeated argmax.
 */
class ReferenceLlamaInvarianceTest {

    private static final double TOL = 1e-12;
    private static final int[] TOKENS = randomTokens(13, 7, 42);

    /** 13 tokens, n_embd 16, 2 layers, n_ff 24, 4 query heads of 4 sharing 2 KV heads. */
    private static Config gqa(RopeMode mode) {
        return Config.of(13, 16, 2, 24, 4, 2, mode, 10000, 1e-5);
    }

    /**
     * n_head_kv = n_head/2 is the same model as n_head_kv = n_head with each KV head's rows of Wk, Wv (and biases)
     * copied for both of its query heads: query head h uses KV head h / 2.
     */
    @ParameterizedTest
    @EnumSource(RopeMode.class)
    void gqaEqualsDuplicatedKvHeads(RopeMode mode) {
        Config c = gqa(mode);
        Map<String, float[]> w = random(c, 11, Extras.ALL);
        Config mha = c.withNHeadKv(c.nHead());
        Map<String, float[]> wm = copy(w);
        int group = c.nHead() / c.nHeadKv();
        for (int l = 0; l < c.nLayer(); l++) {
            for (String n : new String[]{"attn_k", "attn_v"}) {
                String p = "blk." + l + "." + n;
                wm.put(p + ".weight", duplicateHeads(w.get(p + ".weight"), c.headDim() * c.nEmbd(), c.nHeadKv(), group));
                wm.put(p + ".bias", duplicateHeads(w.get(p + ".bias"), c.headDim(), c.nHeadKv(), group));
            }
        }
        double[][] expected = new ReferenceLlama(c, w).logits(TOKENS);
        assertClose(expected, new ReferenceLlama(mha, wm).logits(TOKENS), TOL, "gqa vs duplicated mha");

        // the pairing matters: duplicating as (kv0, kv1, kv0, kv1), i.e. head h -> h % 2, is another model
        Map<String, float[]> wrong = copy(wm);
        for (int l = 0; l < c.nLayer(); l++) {
            for (String n : new String[]{"attn_k", "attn_v"}) {
                String p = "blk." + l + "." + n;
                wrong.put(p + ".weight", permuteBlocks(wm.get(p + ".weight"), c.headDim() * c.nEmbd(), new int[]{0, 2, 1, 3}));
                wrong.put(p + ".bias", permuteBlocks(wm.get(p + ".bias"), c.headDim(), new int[]{0, 2, 1, 3}));
            }
        }
        double[][] other = new ReferenceLlama(mha, wrong).logits(TOKENS);
        assertTrue(maxAbsDiff(expected[TOKENS.length - 1], other[TOKENS.length - 1]) > 1e-6);
    }

    /** With no output.weight the head is token_embd: same as giving an explicit copy. */
    @Test
    void tiedOutputEqualsExplicitCopy() {
        Config c = gqa(RopeMode.NORMAL);
        Map<String, float[]> tied = random(c, 12, Extras.NONE);
        tied.remove("output.weight");
        Map<String, float[]> explicit = copy(tied);
        explicit.put("output.weight", tied.get("token_embd.weight").clone());
        double[][] a = new ReferenceLlama(c, tied).logits(TOKENS);
        double[][] b = new ReferenceLlama(c, explicit).logits(TOKENS);
        for (int p = 0; p < TOKENS.length; p++) {
            assertArrayEquals(a[p], b[p], "pos " + p);
        }
        explicit.get("output.weight")[3] += 0.5f; // row 0 of the head only: logit 0 moves, the others do not
        double[] changed = new ReferenceLlama(c, explicit).lastLogits(TOKENS);
        assertTrue(Math.abs(changed[0] - a[TOKENS.length - 1][0]) > 1e-6);
        assertEquals(a[TOKENS.length - 1][1], changed[1]);
    }

    /** Logits at position p depend only on tokens 0..p; and earlier tokens do reach later positions. */
    @ParameterizedTest
    @EnumSource(RopeMode.class)
    void causal(RopeMode mode) {
        Config c = gqa(mode);
        ReferenceLlama m = new ReferenceLlama(c, random(c, 13, Extras.QWEN2));
        int[] changedTail = TOKENS.clone();
        for (int p = 4; p < changedTail.length; p++) {
            changedTail[p] = (changedTail[p] + 1 + p) % c.nVocab();
        }
        double[][] a = m.logits(TOKENS);
        double[][] b = m.logits(changedTail);
        for (int p = 0; p < 4; p++) {
            assertArrayEquals(a[p], b[p], "pos " + p + " saw a later token");
        }
        for (int p = 4; p < TOKENS.length; p++) {
            assertTrue(maxAbsDiff(a[p], b[p]) > 1e-6, "pos " + p + " ignores its own token");
        }
        int[] changedHead = TOKENS.clone();
        changedHead[0] = (changedHead[0] + 1) % c.nVocab();
        double[][] h = m.logits(changedHead);
        for (int p = 1; p < TOKENS.length; p++) {
            assertTrue(maxAbsDiff(a[p], h[p]) > 1e-9, "token 0 does not reach pos " + p);
        }
    }

    /**
     * Renumbering heads changes nothing: permute the KV heads (with their query groups) in Wq, Wk, Wv, biases and
     * the input columns of Wo.
     */
    @Test
    void headPermutationInvariant() {
        Config c = Config.of(13, 16, 2, 24, 4, 2, RopeMode.NEOX, 10000, 1e-5);
        Map<String, float[]> w = random(c, 14, Extras.ALL);
        int[] kvPerm = {1, 0};
        int[] qPerm = {2, 3, 0, 1}; // q head h goes where its KV head goes: kvPerm[h / 2] * 2 + h % 2
        Map<String, float[]> wp = copy(w);
        int hd = c.headDim();
        for (int l = 0; l < c.nLayer(); l++) {
            String p = "blk." + l + ".";
            wp.put(p + "attn_q.weight", permuteBlocks(w.get(p + "attn_q.weight"), hd * c.nEmbd(), qPerm));
            wp.put(p + "attn_q.bias", permuteBlocks(w.get(p + "attn_q.bias"), hd, qPerm));
            for (String n : new String[]{"attn_k", "attn_v"}) {
                wp.put(p + n + ".weight", permuteBlocks(w.get(p + n + ".weight"), hd * c.nEmbd(), kvPerm));
                wp.put(p + n + ".bias", permuteBlocks(w.get(p + n + ".bias"), hd, kvPerm));
            }
            wp.put(p + "attn_output.weight", permuteColumns(w.get(p + "attn_output.weight"), c.qDim(), hd, qPerm));
        }
        double[][] expected = new ReferenceLlama(c, w).logits(TOKENS);
        assertClose(expected, new ReferenceLlama(c, wp).logits(TOKENS), TOL, "permuted heads");
        // permuting only Wq (not Wo) is a different model
        Map<String, float[]> half = copy(w);
        half.put("blk.0.attn_q.weight", wp.get("blk.0.attn_q.weight"));
        assertTrue(maxAbsDiff(expected[3], new ReferenceLlama(c, half).logits(TOKENS)[3]) > 1e-6);
    }

    /** Renumbering FFN units (rows of W_gate, W_up, their biases; columns of W_down) changes nothing. */
    @Test
    void ffnPermutationInvariant() {
        Config c = gqa(RopeMode.NORMAL);
        Map<String, float[]> w = random(c, 15, Extras.ALL);
        int[] perm = new int[c.nFf()];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = (i * 7 + 3) % perm.length; // 7 is coprime to 24
        }
        Map<String, float[]> wp = copy(w);
        for (int l = 0; l < c.nLayer(); l++) {
            String p = "blk." + l + ".";
            for (String n : new String[]{"ffn_gate", "ffn_up"}) {
                wp.put(p + n + ".weight", permuteBlocks(w.get(p + n + ".weight"), c.nEmbd(), perm));
                wp.put(p + n + ".bias", permuteBlocks(w.get(p + n + ".bias"), 1, perm));
            }
            wp.put(p + "ffn_down.weight", permuteColumns(w.get(p + "ffn_down.weight"), c.nFf(), 1, perm));
        }
        double[][] expected = new ReferenceLlama(c, w).logits(TOKENS);
        assertClose(expected, new ReferenceLlama(c, wp).logits(TOKENS), TOL, "permuted ffn");
        // gate and up are not interchangeable: silu(g) * u != silu(u) * g
        Map<String, float[]> swapped = copy(w);
        swapped.put("blk.0.ffn_gate.weight", w.get("blk.0.ffn_up.weight"));
        swapped.put("blk.0.ffn_up.weight", w.get("blk.0.ffn_gate.weight"));
        swapped.put("blk.0.ffn_gate.bias", w.get("blk.0.ffn_up.bias"));
        swapped.put("blk.0.ffn_up.bias", w.get("blk.0.ffn_gate.bias"));
        assertTrue(maxAbsDiff(expected[0], new ReferenceLlama(c, swapped).logits(TOKENS)[0]) > 1e-6);
    }

    /**
     * RoPE is linear, so multiplying Wq and bq by 4 and the attention scale by 1/4 is the same model; the default
     * scale is 1/sqrt(head_dim).
     */
    @Test
    void attentionScaleMovesIntoWq() {
        Config c = gqa(RopeMode.NORMAL);
        Map<String, float[]> w = random(c, 16, Extras.QWEN2);
        Map<String, float[]> w4 = copy(w);
        for (int l = 0; l < c.nLayer(); l++) {
            for (String n : new String[]{"weight", "bias"}) {
                float[] t = w4.get("blk." + l + ".attn_q." + n);
                for (int i = 0; i < t.length; i++) {
                    t[i] *= 4; // exact in float
                }
            }
        }
        double[][] expected = new ReferenceLlama(c, w).logits(TOKENS);
        assertEquals(0.5, c.kqScale(), 0.0); // head_dim 4
        assertClose(expected, new ReferenceLlama(c.withAttnScale(0.125), w4).logits(TOKENS), TOL, "scale in Wq");
        assertTrue(maxAbsDiff(expected[5], new ReferenceLlama(c, w4).logits(TOKENS)[5]) > 1e-6,
                "the scale must matter beyond position 0");
    }

    /** rope_freqs of ones is no rope_freqs; factors of 2 equal freq_scale 1/2; other factors change the model. */
    @ParameterizedTest
    @EnumSource(RopeMode.class)
    void ropeFreqFactors(RopeMode mode) {
        Config c = gqa(mode);
        Map<String, float[]> w = random(c, 17, Extras.NONE);
        double[][] expected = new ReferenceLlama(c, w).logits(TOKENS);
        Map<String, float[]> ones = copy(w);
        ones.put("rope_freqs.weight", ReferenceLlamaModels.ones(c.nRot() / 2));
        double[][] withOnes = new ReferenceLlama(c, ones).logits(TOKENS);
        for (int p = 0; p < TOKENS.length; p++) {
            assertArrayEquals(expected[p], withOnes[p]);
        }
        Map<String, float[]> twos = copy(w);
        float[] f = new float[c.nRot() / 2];
        Arrays.fill(f, 2f);
        twos.put("rope_freqs.weight", f);
        double[][] halfSpeed = new ReferenceLlama(c.withRopeFreqScale(0.5), w).logits(TOKENS);
        assertClose(halfSpeed, new ReferenceLlama(c, twos).logits(TOKENS), TOL, "factors 2 vs freq_scale 1/2");
        assertTrue(maxAbsDiff(expected[6], halfSpeed[6]) > 1e-6, "freq_scale must matter");
    }

    /** Zero biases are no biases; non-zero ones are applied. */
    @Test
    void zeroBiasesAreNoBiases() {
        Config c = gqa(RopeMode.NEOX);
        Map<String, float[]> w = random(c, 18, Extras.ALL);
        Map<String, float[]> none = copy(w);
        Map<String, float[]> zero = copy(w);
        for (String k : w.keySet()) {
            if (k.endsWith(".bias")) {
                none.remove(k);
                Arrays.fill(zero.get(k), 0f);
            }
        }
        double[][] a = new ReferenceLlama(c, none).logits(TOKENS);
        double[][] b = new ReferenceLlama(c, zero).logits(TOKENS);
        double[][] full = new ReferenceLlama(c, w).logits(TOKENS);
        for (int p = 0; p < TOKENS.length; p++) {
            assertArrayEquals(a[p], b[p]);
            assertTrue(maxAbsDiff(a[p], full[p]) > 1e-6);
        }
    }

    /** logits(t)[p] = lastLogits(t[0..p]); greedy is argmax of lastLogits over the growing sequence. */
    @Test
    void positionsSessionsAndGreedyAgree() {
        Config c = gqa(RopeMode.NORMAL);
        ReferenceLlama m = new ReferenceLlama(c, random(c, 19, Extras.ALL));
        double[][] all = m.logits(TOKENS);
        for (int p = 0; p < TOKENS.length; p++) {
            assertArrayEquals(all[p], m.lastLogits(Arrays.copyOf(TOKENS, p + 1)), "pos " + p);
        }
        int[] prompt = {3, 1, 4};
        int[] gen = m.greedy(prompt, 6);
        assertEquals(6, gen.length);
        int[] seq = prompt;
        for (int i = 0; i < gen.length; i++) {
            double[] last = m.lastLogits(seq);
            for (double v : last) {
                assertTrue(v <= last[gen[i]], "token " + i + " is not the argmax");
            }
            seq = Arrays.copyOf(seq, seq.length + 1);
            seq[seq.length - 1] = gen[i];
        }
        assertArrayEquals(Arrays.copyOf(gen, 3), m.greedy(prompt, 3));
        assertEquals(0, m.greedy(prompt, 0).length);
    }

    /** Rows for n KV heads of {@code blockLen} values each, every head repeated {@code group} times in place. */
    private static float[] duplicateHeads(float[] t, int blockLen, int nKv, int group) {
        float[] out = new float[t.length * group];
        for (int h = 0; h < nKv * group; h++) {
            System.arraycopy(t, (h / group) * blockLen, out, h * blockLen, blockLen);
        }
        return out;
    }

    /** Moves contiguous block b of {@code blockLen} values to position perm[b]. */
    private static float[] permuteBlocks(float[] t, int blockLen, int[] perm) {
        float[] out = new float[t.length];
        for (int b = 0; b < perm.length; b++) {
            System.arraycopy(t, b * blockLen, out, perm[b] * blockLen, blockLen);
        }
        return out;
    }

    /** For a matrix with rows of {@code rowLen}, moves column block b (of blockLen) of every row to perm[b]. */
    private static float[] permuteColumns(float[] t, int rowLen, int blockLen, int[] perm) {
        float[] out = new float[t.length];
        for (int r = 0; r < t.length / rowLen; r++) {
            for (int b = 0; b < perm.length; b++) {
                System.arraycopy(t, r * rowLen + b * blockLen, out, r * rowLen + perm[b] * blockLen, blockLen);
            }
        }
        return out;
    }
}
