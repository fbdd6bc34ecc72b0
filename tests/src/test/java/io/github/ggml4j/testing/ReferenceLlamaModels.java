package io.github.ggml4j.testing;

import io.github.ggml4j.testing.ReferenceLlama.Config;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Random and hand-made weights for tiny ReferenceLlama models, and array comparisons. */
final class ReferenceLlamaModels {

    private ReferenceLlamaModels() {
    }

    /** Options for {@link #random}. */
    record Extras(boolean qkvBias, boolean outBias, boolean ffnBias, boolean outputWeight, boolean outputBias,
                  boolean ropeFreqs) {
        static final Extras NONE = new Extras(false, false, false, true, false, false);
        static final Extras QWEN2 = new Extras(true, false, false, true, false, false);
        static final Extras ALL = new Extras(true, true, true, true, true, true);
    }

    /**
     * Random weights for {@code c}: matrices N(0, 1/n_in), embeddings N(0, 1), norm weights 1 + N(0, 0.1^2),
     * biases N(0, 0.1^2), frequency factors in [1, 4).
     */
    static Map<String, float[]> random(Config c, long seed, Extras x) {
        Random r = new Random(seed);
        Map<String, float[]> m = new HashMap<>();
        m.put("token_embd.weight", Errors.gaussian(r, c.nEmbd() * c.nVocab(), 1.0));
        m.put("output_norm.weight", norm(r, c.nEmbd()));
        if (x.outputWeight()) {
            m.put("output.weight", matrix(r, c.nEmbd(), c.nVocab()));
        }
        if (x.outputBias()) {
            m.put("output.bias", Errors.gaussian(r, c.nVocab(), 0.1));
        }
        if (x.ropeFreqs()) {
            float[] f = new float[c.nRot() / 2];
            for (int i = 0; i < f.length; i++) {
                f[i] = 1 + 3 * r.nextFloat();
            }
            m.put("rope_freqs.weight", f);
        }
        for (int l = 0; l < c.nLayer(); l++) {
            String p = "blk." + l + ".";
            m.put(p + "attn_norm.weight", norm(r, c.nEmbd()));
            m.put(p + "attn_q.weight", matrix(r, c.nEmbd(), c.qDim()));
            m.put(p + "attn_k.weight", matrix(r, c.nEmbd(), c.kvDim()));
            m.put(p + "attn_v.weight", matrix(r, c.nEmbd(), c.kvDim()));
            m.put(p + "attn_output.weight", matrix(r, c.qDim(), c.nEmbd()));
            if (x.qkvBias()) {
                m.put(p + "attn_q.bias", Errors.gaussian(r, c.qDim(), 0.1));
                m.put(p + "attn_k.bias", Errors.gaussian(r, c.kvDim(), 0.1));
                m.put(p + "attn_v.bias", Errors.gaussian(r, c.kvDim(), 0.1));
            }
            if (x.outBias()) {
                m.put(p + "attn_output.bias", Errors.gaussian(r, c.nEmbd(), 0.1));
            }
            m.put(p + "ffn_norm.weight", norm(r, c.nEmbd()));
            m.put(p + "ffn_gate.weight", matrix(r, c.nEmbd(), c.nFf()));
            m.put(p + "ffn_up.weight", matrix(r, c.nEmbd(), c.nFf()));
            m.put(p + "ffn_down.weight", matrix(r, c.nFf(), c.nEmbd()));
            if (x.ffnBias()) {
                m.put(p + "ffn_gate.bias", Errors.gaussian(r, c.nFf(), 0.1));
                m.put(p + "ffn_up.bias", Errors.gaussian(r, c.nFf(), 0.1));
                m.put(p + "ffn_down.bias", Errors.gaussian(r, c.nEmbd(), 0.1));
            }
        }
        return m;
    }

    private static float[] matrix(Random r, int nIn, int nOut) {
        return Errors.gaussian(r, nIn * nOut, 1 / Math.sqrt(nIn));
    }

    private static float[] norm(Random r, int n) {
        float[] w = Errors.gaussian(r, n, 0.1);
        for (int i = 0; i < n; i++) {
            w[i] += 1;
        }
        return w;
    }

    static float[] ones(int n) {
        float[] w = new float[n];
        java.util.Arrays.fill(w, 1f);
        return w;
    }

    /** A deep copy, so variants can be changed without touching the original. */
    static Map<String, float[]> copy(Map<String, float[]> m) {
        Map<String, float[]> c = new HashMap<>();
        m.forEach((k, v) -> c.put(k, v.clone()));
        return c;
    }

    static int[] randomTokens(int nVocab, int n, long seed) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(nVocab);
        }
        return t;
    }

    /** Element-wise |a - b| &lt;= tol * (1 + |a|). */
    static void assertClose(double[] expected, double[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(expected[i] - actual[i]);
            if (!(diff <= tol * (1 + Math.abs(expected[i])))) {
                fail(what + ": element " + i + " expected " + expected[i] + " but was " + actual[i]
                        + " (|diff| " + diff + ")");
            }
        }
    }

    static void assertClose(double[][] expected, double[][] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": positions");
        for (int p = 0; p < expected.length; p++) {
            assertClose(expected[p], actual[p], tol, what + " @pos " + p);
        }
    }

    static double maxAbsDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
