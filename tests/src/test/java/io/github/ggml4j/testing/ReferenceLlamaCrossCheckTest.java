package io.github.ggml4j.testing;

import io.github.ggml4j.testing.ReferenceLlama.Config;
import io.github.ggml4j.testing.ReferenceLlama.RopeMode;
import io.github.ggml4j.testing.ReferenceLlamaModels.Extras;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Map;
import java.util.stream.Stream;

import static io.github.ggml4j.testing.ReferenceLlamaModels.assertClose;

/**
 * ReferenceLlama's incremental, per-token pass against a second implementation written another way: the whole
 * sequence at once as matrices [token][dim], weights first unpacked into [out][in] arrays, RoPE as complex
 * multiplication, attention as a full score matrix with a -inf causal mask.
 */
class ReferenceLlamaCrossCheckTest {

    static Stream<Arguments> models() {
        return Stream.of(
                // llama 2 style: normal rope, MHA, untied
                Arguments.of("llama2", Config.of(19, 16, 2, 40, 4, 4, RopeMode.NORMAL, 10000, 1e-5), Extras.NONE),
                // llama 3 style: GQA, rope_freqs, big base
                Arguments.of("llama3", Config.of(23, 24, 2, 32, 6, 2, RopeMode.NORMAL, 500000, 1e-5),
                        new Extras(false, false, false, true, false, true)),
                // qwen2 style: neox, qkv biases, tied output, MQA
                Arguments.of("qwen2", Config.of(17, 16, 3, 24, 4, 1, RopeMode.NEOX, 1000000, 1e-6),
                        new Extras(true, false, false, false, false, false)),
                // odd shapes: head_dim != n_embd / n_head, partial rotation, freq_scale, explicit scale, all biases
                Arguments.of("odd", new Config(11, 12, 2, 20, 4, 2, 6, 4, RopeMode.NEOX, 10000, 0.25, 1e-5, 0.3),
                        Extras.ALL),
                Arguments.of("odd-normal", new Config(11, 12, 1, 20, 3, 3, 8, 6, RopeMode.NORMAL, 100, 2, 1e-4, 0),
                        Extras.ALL));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void matchesMatrixForm(String name, Config c, Extras extras) {
        Map<String, float[]> w = ReferenceLlamaModels.random(c, name.hashCode(), extras);
        int[] tokens = ReferenceLlamaModels.randomTokens(c.nVocab(), 9, name.hashCode() + 1L);
        double[][] expected = new MatrixLlama(c, w).forward(tokens);
        assertClose(expected, new ReferenceLlama(c, w).logits(tokens), 1e-11, name);
    }

    /** The second implementation. */
    private record MatrixLlama(Config c, Map<String, float[]> w) {

        double[][] forward(int[] tokens) {
            int n = tokens.length;
            double[][] embd = unpack(w.get("token_embd.weight"), c.nEmbd(), c.nVocab());
            double[][] x = new double[n][];
            for (int t = 0; t < n; t++) {
                x[t] = embd[tokens[t]].clone();
            }
            for (int l = 0; l < c.nLayer(); l++) {
                String p = "blk." + l + ".";
                double[][] h = rmsNormRows(x, w.get(p + "attn_norm.weight"));
                double[][] q = linear(h, p + "attn_q", c.qDim());
                double[][] k = linear(h, p + "attn_k", c.kvDim());
                double[][] v = linear(h, p + "attn_v", c.kvDim());
                for (int t = 0; t < n; t++) {
                    rotate(q[t], c.nHead(), t);
                    rotate(k[t], c.nHeadKv(), t);
                }
                double[][] heads = new double[n][c.qDim()];
                int perKv = c.nHead() / c.nHeadKv();
                int d = c.headDim();
                for (int hq = 0; hq < c.nHead(); hq++) {
                    int kvBase = (hq / perKv) * d;
                    int qBase = hq * d;
                    double[][] scores = new double[n][n];
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            if (j > i) {
                                scores[i][j] = Double.NEGATIVE_INFINITY;
                                continue;
                            }
                            double s = 0;
                            for (int e = 0; e < d; e++) {
                                s += q[i][qBase + e] * k[j][kvBase + e];
                            }
                            scores[i][j] = s * c.kqScale();
                        }
                    }
                    double[][] probs = softmaxRows(scores);
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            for (int e = 0; e < d; e++) {
                                heads[i][qBase + e] += probs[i][j] * v[j][kvBase + e];
                            }
                        }
                    }
                }
                x = add(x, linear(heads, p + "attn_output", c.nEmbd()));
                h = rmsNormRows(x, w.get(p + "ffn_norm.weight"));
                double[][] gate = linear(h, p + "ffn_gate", c.nFf());
                double[][] up = linear(h, p + "ffn_up", c.nFf());
                double[][] act = new double[n][c.nFf()];
                for (int t = 0; t < n; t++) {
                    for (int f = 0; f < c.nFf(); f++) {
                        double sigmoid = 1 / (1 + Math.exp(-gate[t][f]));
                        act[t][f] = gate[t][f] * sigmoid * up[t][f];
                    }
                }
                x = add(x, linear(act, p + "ffn_down", c.nEmbd()));
            }
            double[][] h = rmsNormRows(x, w.get("output_norm.weight"));
            String head = w.containsKey("output.weight") ? "output" : "token_embd";
            double[][] wOut = unpack(w.get(head + ".weight"), c.nEmbd(), c.nVocab());
            return apply(h, wOut, w.get("output.bias"));
        }

        /** ggml [nIn, nOut] to a [nOut][nIn] Java matrix. */
        private static double[][] unpack(float[] t, int nIn, int nOut) {
            double[][] m = new double[nOut][nIn];
            int idx = 0;
            for (int o = 0; o < nOut; o++) {
                for (int i = 0; i < nIn; i++) {
                    m[o][i] = t[idx++];
                }
            }
            return m;
        }

        private double[][] linear(double[][] x, String name, int nOut) {
            return apply(x, unpack(w.get(name + ".weight"), x[0].length, nOut), w.get(name + ".bias"));
        }

        private static double[][] apply(double[][] x, double[][] m, float[] bias) {
            double[][] y = new double[x.length][m.length];
            for (int t = 0; t < x.length; t++) {
                for (int o = 0; o < m.length; o++) {
                    double s = bias == null ? 0 : bias[o];
                    for (int i = 0; i < m[o].length; i++) {
                        s += m[o][i] * x[t][i];
                    }
                    y[t][o] = s;
                }
            }
            return y;
        }

        private double[][] rmsNormRows(double[][] x, float[] weight) {
            double[][] y = new double[x.length][];
            for (int t = 0; t < x.length; t++) {
                double meanSq = 0;
                for (double v : x[t]) {
                    meanSq += v * v / x[t].length;
                }
                double scale = 1 / Math.sqrt(meanSq + c.rmsEps());
                y[t] = new double[x[t].length];
                for (int i = 0; i < x[t].length; i++) {
                    y[t][i] = x[t][i] * scale * weight[i];
                }
            }
            return y;
        }

        /** Each head's rotated dims as complex numbers z_i = (re, im) times e^(i theta_i). */
        private void rotate(double[] row, int nHeads, int pos) {
            float[] factors = w.get("rope_freqs.weight");
            int half = c.nRot() / 2;
            for (int h = 0; h < nHeads; h++) {
                int base = h * c.headDim();
                for (int i = 0; i < half; i++) {
                    double freq = c.ropeFreqScale() / Math.pow(c.ropeFreqBase(), (double) (2 * i) / c.nRot());
                    if (factors != null) {
                        freq /= factors[i];
                    }
                    int re = c.ropeMode() == RopeMode.NEOX ? base + i : base + 2 * i;
                    int im = c.ropeMode() == RopeMode.NEOX ? base + half + i : base + 2 * i + 1;
                    double zr = row[re];
                    double zi = row[im];
                    double wr = Math.cos(pos * freq);
                    double wi = Math.sin(pos * freq);
                    row[re] = zr * wr - zi * wi;
                    row[im] = zr * wi + zi * wr;
                }
            }
        }

        private static double[][] softmaxRows(double[][] s) {
            double[][] p = new double[s.length][];
            for (int i = 0; i < s.length; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (double v : s[i]) {
                    max = Math.max(max, v);
                }
                p[i] = new double[s[i].length];
                double sum = 0;
                for (int j = 0; j < s[i].length; j++) {
                    p[i][j] = Math.exp(s[i][j] - max); // exp(-inf) = 0
                    sum += p[i][j];
                }
                for (int j = 0; j < s[i].length; j++) {
                    p[i][j] /= sum;
                }
            }
            return p;
        }

        private static double[][] add(double[][] a, double[][] b) {
            double[][] y = new double[a.length][a[0].length];
            for (int t = 0; t < a.length; t++) {
                for (int i = 0; i < a[t].length; i++) {
                    y[t][i] = a[t][i] + b[t][i];
                }
            }
            return y;
        }
    }
}
