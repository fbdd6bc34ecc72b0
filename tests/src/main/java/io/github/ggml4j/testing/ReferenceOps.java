package io.github.ggml4j.testing;

import java.util.function.DoubleBinaryOperator;

/**
 * Double-precision plain-Java versions of the ggml ops that op tests check, written from the op semantics in
 * ggml.h. Tensors are flat arrays in ggml's order: dimension 0 (ne0) varies fastest.
 */
public final class ReferenceOps {

    private ReferenceOps() {
    }

    /**
     * ggml_mul_mat(w, x): w is [k, m] (m rows of k), x is [k, n]; the result is [m, n] with
     * out[j][i] = sum over t of w[i][t] * x[j][t].
     */
    public static double[] mulMat(float[] w, float[] x, int k, int m, int n) {
        double[] out = new double[m * n];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int t = 0; t < k; t++) {
                    s += (double) w[i * k + t] * x[j * k + t];
                }
                out[j * m + i] = s;
            }
        }
        return out;
    }

    /**
     * An element-wise op with ggml's broadcasting: b is repeated along every dimension where it is smaller
     * (each of b's dimensions must divide a's).
     */
    public static double[] broadcast(float[] a, int[] neA, float[] b, int[] neB, DoubleBinaryOperator op) {
        int[] na = dims4(neA);
        int[] nb = dims4(neB);
        for (int d = 0; d < 4; d++) {
            if (na[d] % nb[d] != 0) {
                throw new IllegalArgumentException("b does not repeat into a along dim " + d);
            }
        }
        double[] out = new double[a.length];
        int idx = 0;
        for (int i3 = 0; i3 < na[3]; i3++) {
            for (int i2 = 0; i2 < na[2]; i2++) {
                for (int i1 = 0; i1 < na[1]; i1++) {
                    for (int i0 = 0; i0 < na[0]; i0++, idx++) {
                        int ib = (((i3 % nb[3]) * nb[2] + i2 % nb[2]) * nb[1] + i1 % nb[1]) * nb[0] + i0 % nb[0];
                        out[idx] = op.applyAsDouble(a[idx], b[ib]);
                    }
                }
            }
        }
        return out;
    }

    /** ggml_rms_norm: each row of {@code ne0} is divided by sqrt(mean(x^2) + eps). */
    public static double[] rmsNorm(float[] x, int ne0, double eps) {
        double[] out = new double[x.length];
        for (int r = 0; r < x.length / ne0; r++) {
            double ss = 0;
            for (int i = 0; i < ne0; i++) {
                ss += (double) x[r * ne0 + i] * x[r * ne0 + i];
            }
            double inv = 1 / Math.sqrt(ss / ne0 + eps);
            for (int i = 0; i < ne0; i++) {
                out[r * ne0 + i] = x[r * ne0 + i] * inv;
            }
        }
        return out;
    }

    /**
     * ggml_soft_max_ext without ALiBi: softmax over each row of {@code ne0} of a * scale + mask. {@code mask}
     * (may be null) is [ne0, maskRows] and row i1 of every a[., i1, i2, i3] uses mask row i1.
     */
    public static double[] softMax(float[] a, int ne0, int ne1, float[] mask, double scale) {
        double[] out = new double[a.length];
        double[] row = new double[ne0];
        for (int r = 0; r < a.length / ne0; r++) {
            int i1 = r % ne1;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < ne0; i++) {
                row[i] = a[r * ne0 + i] * scale + (mask == null ? 0 : mask[i1 * ne0 + i]);
                max = Math.max(max, row[i]);
            }
            double sum = 0;
            for (int i = 0; i < ne0; i++) {
                row[i] = row[i] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(row[i] - max);
                sum += row[i];
            }
            for (int i = 0; i < ne0; i++) {
                out[r * ne0 + i] = row[i] / sum;
            }
        }
        return out;
    }

    /**
     * ggml_rope_ext without YaRN (ext_factor 0, attn_factor 1) on x [headDim, nHead, nTok]: for token t at
     * position p, pair i (i below nDims/2) turns by p * freqScale * base^(-2i/nDims). Normal mode pairs
     * adjacent elements (2i, 2i+1); NeoX pairs (i, i + nDims/2). Elements from nDims on pass through.
     */
    public static double[] rope(float[] x, int headDim, int nHead, int nTok, int[] pos, int nDims, boolean neox,
                                double base, double freqScale) {
        double[] out = new double[x.length];
        for (int t = 0; t < nTok; t++) {
            for (int h = 0; h < nHead; h++) {
                int o = (t * nHead + h) * headDim;
                for (int i = 0; i < headDim; i++) {
                    out[o + i] = x[o + i];
                }
                for (int i = 0; i < nDims / 2; i++) {
                    double theta = pos[t] * freqScale * Math.pow(base, -2.0 * i / nDims);
                    double c = Math.cos(theta);
                    double s = Math.sin(theta);
                    int i0 = neox ? i : 2 * i;
                    int i1 = neox ? i + nDims / 2 : 2 * i + 1;
                    double x0 = x[o + i0];
                    double x1 = x[o + i1];
                    out[o + i0] = x0 * c - x1 * s;
                    out[o + i1] = x0 * s + x1 * c;
                }
            }
        }
        return out;
    }

    /**
     * Naive attention softmax(q k^T * scale + mask) v with grouped KV heads, in ggml_flash_attn_ext's layouts:
     * q [d, nBatch, nHead], k [d, nKv, nHeadKv], v [dv, nKv, nHeadKv], mask [nKv, nBatch] (or null), result
     * [dv, nHead, nBatch]. Query head h reads KV head h / (nHead / nHeadKv).
     */
    public static double[] attention(float[] q, float[] k, float[] v, float[] mask, int d, int dv, int nBatch,
                                     int nHead, int nKv, int nHeadKv, double scale) {
        int group = nHead / nHeadKv;
        double[] out = new double[dv * nHead * nBatch];
        double[] p = new double[nKv];
        for (int h = 0; h < nHead; h++) {
            int hk = h / group;
            for (int b = 0; b < nBatch; b++) {
                int qo = (h * nBatch + b) * d;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < nKv; j++) {
                    int ko = (hk * nKv + j) * d;
                    double s = 0;
                    for (int i = 0; i < d; i++) {
                        s += (double) q[qo + i] * k[ko + i];
                    }
                    p[j] = s * scale + (mask == null ? 0 : mask[b * nKv + j]);
                    max = Math.max(max, p[j]);
                }
                double sum = 0;
                for (int j = 0; j < nKv; j++) {
                    p[j] = p[j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(p[j] - max);
                    sum += p[j];
                }
                int oo = (b * nHead + h) * dv;
                for (int j = 0; j < nKv; j++) {
                    int vo = (hk * nKv + j) * dv;
                    double w = p[j] / sum;
                    for (int i = 0; i < dv; i++) {
                        out[oo + i] += w * v[vo + i];
                    }
                }
            }
        }
        return out;
    }

    /** A causal mask [nKv, nQuery] for queries that are the last nQuery of nKv positions: 0 or -inf. */
    public static float[] causalMask(int nKv, int nQuery) {
        float[] m = new float[nKv * nQuery];
        int offset = nKv - nQuery;
        for (int i = 0; i < nQuery; i++) {
            for (int j = 0; j < nKv; j++) {
                m[i * nKv + j] = j <= i + offset ? 0f : Float.NEGATIVE_INFINITY;
            }
        }
        return m;
    }

    private static int[] dims4(int[] ne) {
        int[] out = {1, 1, 1, 1};
        System.arraycopy(ne, 0, out, 0, ne.length);
        return out;
    }
}
