package io.github.ggml4j.testing;

import io.github.ggml4j.testing.ReferenceLlama.Config;
import io.github.ggml4j.testing.ReferenceLlama.RopeMode;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static io.github.ggml4j.testing.ReferenceLlamaModels.assertClose;
import static io.github.ggml4j.testing.ReferenceLlamaModels.ones;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ReferenceLlama on models small enough that the expected logits are worked out by hand. */
class ReferenceLlamaHandTest {

    private static final double TOL = 1e-12;

    /**
     * One layer, n_embd 4, two heads of 2, eps 0, all norm weights 1, Wq = Wk = 0 (so every score is 0 and
     * attention averages V uniformly over positions 0..p whatever RoPE does), Wv = Wo = identity, W_down = 0 (no
     * FFN), output tied to the embeddings e0 = (1,1,1,1), e1 = (1,-1,1,-1), e2 = (-1,-1,1,1). Every e has RMS 1, so
     * rms_norm(e) = e and, at position p, x = e_p + mean(e_0..e_p):
     * <pre>
     *   p0: x = (2,2,2,2)                 -> x/rms = (1,1,1,1)            -> logits (4, 0, 0)
     *   p1: x = e1 + (1,0,1,0) = (2,-1,2,-1), rms sqrt(2.5)                -> logits (2, 6, 0) / sqrt(2.5)
     *   p2: x = e2 + (1,-1,3,1)/3 = (-2,-4,6,4)/3, x/rms = (-2,-4,6,4)/sqrt(18) -> logits (4, 4, 16) / sqrt(18)
     * </pre>
     */
    @Test
    void uniformAttentionOneLayer() {
        Config c = new Config(3, 4, 1, 3, 2, 2, 2, 2, RopeMode.NORMAL, 10000, 1, 0, 0);
        Map<String, float[]> w = new HashMap<>();
        w.put("token_embd.weight", new float[]{1, 1, 1, 1, 1, -1, 1, -1, -1, -1, 1, 1});
        w.put("output_norm.weight", ones(4));
        w.put("blk.0.attn_norm.weight", ones(4));
        w.put("blk.0.attn_q.weight", new float[16]);
        w.put("blk.0.attn_k.weight", new float[16]);
        w.put("blk.0.attn_v.weight", identity(4));
        w.put("blk.0.attn_output.weight", identity(4));
        w.put("blk.0.ffn_norm.weight", ones(4));
        Random r = new Random(1);
        w.put("blk.0.ffn_gate.weight", Errors.gaussian(r, 12, 1));
        w.put("blk.0.ffn_up.weight", Errors.gaussian(r, 12, 1));
        w.put("blk.0.ffn_down.weight", new float[12]);
        double[][] logits = new ReferenceLlama(c, w).logits(new int[]{0, 1, 2});
        double s25 = Math.sqrt(2.5);
        double s18 = Math.sqrt(18);
        assertClose(new double[]{4, 0, 0}, logits[0], TOL, "p0");
        assertClose(new double[]{2 / s25, 6 / s25, 0}, logits[1], TOL, "p1");
        assertClose(new double[]{4 / s18, 4 / s18, 16 / s18}, logits[2], TOL, "p2");
    }

    /**
     * Scores through RoPE, by hand. One head of 2, Wq = Wk = Wv = Wo = identity, eps 0, norm weights 1, no FFN,
     * tied output, e0 = (1,1), e1 = (1,-1) (both RMS 1), base 10000 so the only pair turns by p radians. Tokens
     * [0, 1], at p1: q = R(1) e1, k0 = e0 (position 0), k1 = R(1) e1. Scores times 1/sqrt(2): q.k1 = |e1|^2 = 2
     * and q.k0 = (cos 1 + sin 1, sin 1 - cos 1).(1,1) = 2 sin 1. With a1 = softmax weight of position 1,
     * out = a0 e0 + a1 e1 = (1, 1 - 2 a1) and x = e1 + out = (2, -2 a1), so logits = (2 - 2 a1, 2 + 2 a1) / rms(x).
     * At p0, x = 2 e0 and logits = (2, 0).
     */
    @Test
    void ropedAttentionTwoPositions() {
        Config c = new Config(2, 2, 1, 1, 1, 1, 2, 2, RopeMode.NORMAL, 10000, 1, 0, 0);
        Map<String, float[]> w = new HashMap<>();
        w.put("token_embd.weight", new float[]{1, 1, 1, -1});
        w.put("output_norm.weight", ones(2));
        w.put("blk.0.attn_norm.weight", ones(2));
        w.put("blk.0.attn_q.weight", identity(2));
        w.put("blk.0.attn_k.weight", identity(2));
        w.put("blk.0.attn_v.weight", identity(2));
        w.put("blk.0.attn_output.weight", identity(2));
        w.put("blk.0.ffn_norm.weight", ones(2));
        w.put("blk.0.ffn_gate.weight", new float[]{1, 1});
        w.put("blk.0.ffn_up.weight", new float[]{1, 1});
        w.put("blk.0.ffn_down.weight", new float[2]);
        double s0 = 2 * Math.sin(1) / Math.sqrt(2);
        double s1 = 2 / Math.sqrt(2);
        double a1 = Math.exp(s1) / (Math.exp(s0) + Math.exp(s1));
        double rms = Math.sqrt((4 + 4 * a1 * a1) / 2);
        double[][] logits = new ReferenceLlama(c, w).logits(new int[]{0, 1});
        assertClose(new double[]{2, 0}, logits[0], TOL, "p0");
        assertClose(new double[]{(2 - 2 * a1) / rms, (2 + 2 * a1) / rms}, logits[1], TOL, "p1");
        // for a 2-dim head NEOX pairs (0, 1) too: the same model
        assertClose(logits[1], new ReferenceLlama(c.withRopeMode(RopeMode.NEOX), w).logits(new int[]{0, 1})[1],
                TOL, "neox on one pair");
    }

    /**
     * Pins ggml's matrix layout with non-symmetric matrices: W [n_in, n_out] maps y[o] = sum_i W[o*n_in + i] x[i].
     * One head of 4, one token (attention returns V), Wv a cyclic shift v[o] = h[(o+1) mod 4], Wo = identity, no
     * FFN, eps 0, and a non-square output.weight [4, 2] picking logits = (xn[0], xn[1]). Token e = (1,2,3,4) has
     * RMS s = sqrt(7.5), so x = e + (2,3,4,1)/s.
     */
    @Test
    void matrixLayoutIsGgmls() {
        Config c = new Config(2, 4, 1, 2, 1, 1, 4, 4, RopeMode.NORMAL, 10000, 1, 0, 0);
        Map<String, float[]> w = new HashMap<>();
        w.put("token_embd.weight", new float[]{1, 2, 3, 4, 0, 0, 0, 1});
        w.put("output_norm.weight", ones(4));
        w.put("output.weight", new float[]{1, 0, 0, 0, /* row o=1: */ 0, 1, 0, 0});
        w.put("blk.0.attn_norm.weight", ones(4));
        Random r = new Random(2);
        w.put("blk.0.attn_q.weight", Errors.gaussian(r, 16, 1));
        w.put("blk.0.attn_k.weight", Errors.gaussian(r, 16, 1));
        float[] shift = new float[16];
        for (int o = 0; o < 4; o++) {
            shift[o * 4 + (o + 1) % 4] = 1;
        }
        w.put("blk.0.attn_v.weight", shift);
        w.put("blk.0.attn_output.weight", identity(4));
        w.put("blk.0.ffn_norm.weight", ones(4));
        w.put("blk.0.ffn_gate.weight", Errors.gaussian(r, 8, 1));
        w.put("blk.0.ffn_up.weight", Errors.gaussian(r, 8, 1));
        w.put("blk.0.ffn_down.weight", new float[8]);

        double s = Math.sqrt(7.5);
        double x0 = 1 + 2 / s;
        double x1 = 2 + 3 / s;
        double x2 = 3 + 4 / s;
        double x3 = 4 + 1 / s;
        double rms = Math.sqrt((x0 * x0 + x1 * x1 + x2 * x2 + x3 * x3) / 4);
        double[] got = new ReferenceLlama(c, w).lastLogits(new int[]{0});
        assertClose(new double[]{x0 / rms, x1 / rms}, got, TOL, "logits");
    }

    /**
     * With a single token the softmax has one entry, 1, so each query head's output is the V of its KV head and
     * Wq, Wk, their biases and RoPE do not matter. Expected logits are computed here step by step.
     */
    @Test
    void singleTokenAttentionIsV() {
        Config c = Config.of(7, 8, 1, 6, 4, 2, RopeMode.NEOX, 10000, 1e-5);
        Map<String, float[]> w = ReferenceLlamaModels.random(c, 3, ReferenceLlamaModels.Extras.ALL);
        int token = 5;
        int e = c.nEmbd();
        int hd = c.headDim();

        double[] x = new double[e];
        for (int i = 0; i < e; i++) {
            x[i] = w.get("token_embd.weight")[token * e + i];
        }
        double[] h = normed(x, w.get("blk.0.attn_norm.weight"), c.rmsEps());
        double[] v = affine(w.get("blk.0.attn_v.weight"), w.get("blk.0.attn_v.bias"), h, c.kvDim());
        double[] heads = new double[c.qDim()];
        for (int hq = 0; hq < c.nHead(); hq++) {
            int hk = hq / (c.nHead() / c.nHeadKv()); // 0,0,1,1
            System.arraycopy(v, hk * hd, heads, hq * hd, hd);
        }
        double[] o = affine(w.get("blk.0.attn_output.weight"), w.get("blk.0.attn_output.bias"), heads, e);
        for (int i = 0; i < e; i++) {
            x[i] += o[i];
        }
        h = normed(x, w.get("blk.0.ffn_norm.weight"), c.rmsEps());
        double[] g = affine(w.get("blk.0.ffn_gate.weight"), w.get("blk.0.ffn_gate.bias"), h, c.nFf());
        double[] u = affine(w.get("blk.0.ffn_up.weight"), w.get("blk.0.ffn_up.bias"), h, c.nFf());
        double[] a = new double[c.nFf()];
        for (int i = 0; i < a.length; i++) {
            a[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
        }
        double[] d = affine(w.get("blk.0.ffn_down.weight"), w.get("blk.0.ffn_down.bias"), a, e);
        for (int i = 0; i < e; i++) {
            x[i] += d[i];
        }
        double[] expected = affine(w.get("output.weight"), w.get("output.bias"),
                normed(x, w.get("output_norm.weight"), c.rmsEps()), c.nVocab());

        double[] got = new ReferenceLlama(c, w).lastLogits(new int[]{token});
        assertClose(expected, got, 1e-12, "single-token logits");

        // Wq, Wk and their biases are irrelevant for one token: bit-identical logits with other values
        Map<String, float[]> w2 = ReferenceLlamaModels.copy(w);
        Random r = new Random(4);
        for (String n : new String[]{"attn_q.weight", "attn_k.weight", "attn_q.bias", "attn_k.bias"}) {
            float[] t = w2.get("blk.0." + n);
            w2.put("blk.0." + n, Errors.gaussian(r, t.length, 3));
        }
        assertArrayEquals(got, new ReferenceLlama(c, w2).lastLogits(new int[]{token}));
        // ...but V is not
        w2.get("blk.0.attn_v.weight")[0] += 1;
        assertTrue(ReferenceLlamaModels.maxAbsDiff(got, new ReferenceLlama(c, w2).lastLogits(new int[]{token})) > 1e-6);
    }

    /** Zero layers: logits = W_out rms_norm(e) * output_norm + output.bias, the embedding straight through. */
    @Test
    void zeroLayersIsNormAndHead() {
        Config c = new Config(3, 2, 0, 1, 1, 1, 2, 2, RopeMode.NORMAL, 10000, 1, 0, 0);
        Map<String, float[]> w = new HashMap<>();
        w.put("token_embd.weight", new float[]{3, 4, 1, 0, 0, 2});
        w.put("output_norm.weight", new float[]{1, 2});
        w.put("output.weight", new float[]{1, 0, 0, 1, 1, 1});
        w.put("output.bias", new float[]{0, 0, 10});
        // e0 = (3,4): rms = sqrt(12.5), xn = (3, 8)/sqrt(12.5)
        double s = Math.sqrt(12.5);
        assertClose(new double[]{3 / s, 8 / s, 11 / s + 10}, new ReferenceLlama(c, w).lastLogits(new int[]{0}),
                TOL, "logits");
    }

    /** Greedy picks the argmax; among equal logits the lowest id wins. */
    @Test
    void greedyTiesGoToLowestId() {
        Config c = Config.of(5, 4, 1, 4, 2, 2, RopeMode.NORMAL, 10000, 1e-5);
        Map<String, float[]> w = ReferenceLlamaModels.random(c, 5, ReferenceLlamaModels.Extras.NONE);
        w.put("output.weight", new float[c.nEmbd() * c.nVocab()]);
        assertArrayEquals(new int[]{0, 0, 0}, new ReferenceLlama(c, w).greedy(new int[]{3}, 3));
        w.put("output.bias", new float[]{0, 5, -1, 5, 5});
        assertArrayEquals(new int[]{1, 1, 1, 1}, new ReferenceLlama(c, w).greedy(new int[]{3, 4}, 4));
        assertEquals(2, ReferenceLlama.argmax(new double[]{-1, 2, 3, 3}));
        assertEquals(0, ReferenceLlama.argmax(new double[]{Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY}));
        assertThrows(IllegalStateException.class, () -> ReferenceLlama.argmax(new double[]{0, Double.NaN}));
    }

    @Test
    void rejectsBadShapesAndInputs() {
        Config c = Config.of(5, 4, 1, 4, 2, 2, RopeMode.NORMAL, 10000, 1e-5);
        Map<String, float[]> w = ReferenceLlamaModels.random(c, 6, ReferenceLlamaModels.Extras.NONE);
        Map<String, float[]> missing = ReferenceLlamaModels.copy(w);
        missing.remove("blk.0.ffn_up.weight");
        assertThrows(IllegalArgumentException.class, () -> new ReferenceLlama(c, missing));
        Map<String, float[]> wrong = ReferenceLlamaModels.copy(w);
        wrong.put("blk.0.attn_k.weight", new float[4 * 2]);
        assertThrows(IllegalArgumentException.class, () -> new ReferenceLlama(c, wrong));
        Map<String, float[]> wrongBias = ReferenceLlamaModels.copy(w);
        wrongBias.put("blk.0.attn_q.bias", new float[3]);
        assertThrows(IllegalArgumentException.class, () -> new ReferenceLlama(c, wrongBias));
        ReferenceLlama m = new ReferenceLlama(c, w);
        assertThrows(IllegalArgumentException.class, () -> m.logits(new int[]{0, 5}));
        assertThrows(IllegalArgumentException.class, () -> m.lastLogits(new int[0]));
        assertThrows(IllegalArgumentException.class, () -> Config.of(5, 4, 1, 4, 4, 3, RopeMode.NORMAL, 1e4, 1e-5));
        assertThrows(IllegalArgumentException.class, () -> c.withNRot(3));
        assertThrows(IllegalArgumentException.class, () -> c.withNRot(4));
    }

    static float[] identity(int n) {
        float[] w = new float[n * n];
        for (int i = 0; i < n; i++) {
            w[i * n + i] = 1;
        }
        return w;
    }

    private static double[] normed(double[] x, float[] weight, double eps) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double rms = Math.sqrt(ss / x.length + eps);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] / rms * weight[i];
        }
        return y;
    }

    /** y = W x + b, W in ggml layout [x.length, nOut], b may be null. */
    private static double[] affine(float[] w, float[] b, double[] x, int nOut) {
        double[] y = new double[nOut];
        for (int o = 0; o < nOut; o++) {
            for (int i = 0; i < x.length; i++) {
                y[o] += w[o * x.length + i] * (double) x[i];
            }
            if (b != null) {
                y[o] += b[o];
            }
        }
        return y;
    }
}
