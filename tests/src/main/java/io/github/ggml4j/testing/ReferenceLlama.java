package io.github.ggml4j.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A naive double-precision forward pass of the Llama-family decoder (Llama 1/2/3, Qwen2, ...), written from the
 * graphs in llama.cpp's {@code src/models/llama.cpp} and {@code src/models/qwen2.cpp} and the op semantics in
 * {@code ggml-cpu/ops.cpp}. It does not touch ggml: tests use it as an independent reference for whole-model
 * logits.
 *
 * <p>Per position p, causally:
 * <pre>
 *   x = token_embd[token]
 *   per layer:
 *     h = rms_norm(x) * attn_norm
 *     q, k, v = Wq h (+bq), Wk h (+bk), Wv h (+bv)       split into heads of head_dim
 *     q, k = rope(q, p), rope(k, p)
 *     head o = sum over j &lt;= p of softmax_j(q_o . k_j * scale) v_j   (query head o reads KV head o / (n_head / n_head_kv))
 *     x = x + Wo concat(heads) (+bo)
 *     h = rms_norm(x) * ffn_norm
 *     x = x + W_down (silu(W_gate h (+b)) * (W_up h (+b))) (+b)
 *   logits = W_out (rms_norm(x) * output_norm) (+output.bias)
 * </pre>
 * with rms_norm(x) = x / sqrt(mean(x^2) + eps). Everything is computed in double; weights are read as float and
 * widened exactly.
 *
 * <p>Weights use GGUF tensor names and ggml's layout: a tensor of ggml shape [ne0, ne1] is a flat array with ne0
 * contiguous, element (i0, i1) at {@code i1 * ne0 + i0}. A matrix W of shape [n_in, n_out] maps x to
 * {@code y[o] = sum_i W[o * n_in + i] * x[i]}, as {@code ggml_mul_mat(W, x)} does. The arrays are used as given,
 * not copied: do not change them while the model is in use.
 *
 * <p>Against llama.cpp the only expected differences are numerical: ggml computes in float (keys and values in
 * an F16 cache by default, quantized weights), builds RoPE angles by repeated float multiplication and takes the
 * default scale as {@code 1.0f/sqrtf(head_dim)}. Choose tolerances accordingly.
 *
 * <p>A {@link Session} is not thread-safe; the model itself is immutable and can serve several sessions.
 */
public final class ReferenceLlama {

    /** How RoPE pairs the dimensions of a head. */
    public enum RopeMode {
        /** GGML_ROPE_TYPE_NORMAL (Llama): adjacent pairs (x[2i], x[2i+1]). */
        NORMAL,
        /** GGML_ROPE_TYPE_NEOX (Qwen2, ...): pairs (x[i], x[i + n_rot/2]). */
        NEOX
    }

    /**
     * The hyper-parameters.
     *
     * @param nVocab        vocabulary size
     * @param nEmbd         width of the residual stream
     * @param nLayer        number of blocks
     * @param nFf           FFN hidden width
     * @param nHead         query heads
     * @param nHeadKv       key/value heads (GQA); must divide nHead
     * @param headDim       dimension of every head (q, k and v)
     * @param nRot          leading dimensions of each head that RoPE turns (even, at most headDim); the rest pass
     *                      through, as in ggml_rope_ext (llama.cpp's llama and qwen2 graphs require n_rot =
     *                      head_dim)
     * @param ropeMode      pair convention
     * @param ropeFreqBase  RoPE base: pair i turns by p * freqScale * base^(-2i/nRot) (divided by the frequency
     *                      factor when {@code rope_freqs.weight} is present)
     * @param ropeFreqScale linear position scaling, 1 for none
     * @param rmsEps        epsilon in RMSNorm
     * @param attnScale     multiplier of q.k before the softmax; 0 means the default 1/sqrt(headDim), as in
     *                      llama.cpp's {@code f_attention_scale}
     */
    public record Config(int nVocab, int nEmbd, int nLayer, int nFf, int nHead, int nHeadKv, int headDim, int nRot,
                         RopeMode ropeMode, double ropeFreqBase, double ropeFreqScale, double rmsEps,
                         double attnScale) {

        public Config {
            Objects.requireNonNull(ropeMode, "ropeMode");
            if (nVocab <= 0 || nEmbd <= 0 || nLayer < 0 || nFf <= 0 || nHead <= 0 || nHeadKv <= 0 || headDim <= 0) {
                throw new IllegalArgumentException("sizes must be positive (n_layer may be 0)");
            }
            if (nHead % nHeadKv != 0) {
                throw new IllegalArgumentException("n_head " + nHead + " is not a multiple of n_head_kv " + nHeadKv);
            }
            if (nRot < 0 || nRot > headDim || nRot % 2 != 0) {
                throw new IllegalArgumentException("n_rot " + nRot + " must be even and within [0, " + headDim + "]");
            }
            if (!(ropeFreqBase > 0) || !(ropeFreqScale > 0) || !(rmsEps >= 0) || !Double.isFinite(attnScale)) {
                throw new IllegalArgumentException("freq_base and freq_scale must be positive, rms_eps non-negative,"
                        + " the attention scale finite");
            }
        }

        /**
         * A config with head_dim = n_rot = n_embd / n_head, freq_scale 1 and the default attention scale.
         */
        public static Config of(int nVocab, int nEmbd, int nLayer, int nFf, int nHead, int nHeadKv,
                                RopeMode ropeMode, double ropeFreqBase, double rmsEps) {
            if (nHead <= 0 || nEmbd % nHead != 0) {
                throw new IllegalArgumentException("n_embd " + nEmbd + " is not a multiple of n_head " + nHead);
            }
            int headDim = nEmbd / nHead;
            return new Config(nVocab, nEmbd, nLayer, nFf, nHead, nHeadKv, headDim, headDim, ropeMode, ropeFreqBase,
                    1.0, rmsEps, 0.0);
        }

        /** The same config with another head_dim; n_rot follows it (set n_rot afterwards if it differs). */
        public Config withHeadDim(int headDim) {
            return new Config(nVocab, nEmbd, nLayer, nFf, nHead, nHeadKv, headDim, headDim, ropeMode, ropeFreqBase,
                    ropeFreqScale, rmsEps, attnScale);
        }

        public Config withNRot(int nRot) {
            return new Config(nVocab, nEmbd, nLayer, nFf, nHead, nHeadKv, headDim, nRot, ropeMode, ropeFreqBase,
                    ropeFreqScale, rmsEps, attnScale);
        }

        public Config withNHeadKv(int nHeadKv) {
            return new Config(nVocab, nEmbd, nLayer, nFf, nHead, nHeadKv, headDim, nRot, ropeMode, ropeFreqBase,
                    ropeFreqScale, rmsEps, attnScale);
        }

        public Config withRopeMode(RopeMode ropeMode) {
            return new Config(nVocab, nEmbd, nLayer, nFf, nHead, nHeadKv, headDim, nRot, ropeMode, ropeFreqBase,
                    ropeFreqScale, rmsEps, attnScale);
        }

        public Config withRopeFreqScale(double ropeFreqScale) {
            return new Config(nVocab, nEmbd, nLayer, nFf, nHead, nHeadKv, headDim, nRot, ropeMode, ropeFreqBase,
                    ropeFreqScale, rmsEps, attnScale);
        }

        /** The same config with an explicit attention scale (0 restores the default). */
        public Config withAttnScale(double attnScale) {
            return new Config(nVocab, nEmbd, nLayer, nFf, nHead, nHeadKv, headDim, nRot, ropeMode, ropeFreqBase,
                    ropeFreqScale, rmsEps, attnScale);
        }

        /** The multiplier actually applied to q.k: attnScale, or 1/sqrt(headDim) when that is 0. */
        public double kqScale() {
            return attnScale == 0 ? 1.0 / Math.sqrt(headDim) : attnScale;
        }

        /** n_head * head_dim: the width of q and of the attention output. */
        public int qDim() {
            return nHead * headDim;
        }

        /** n_head_kv * head_dim: the width of k and v. */
        public int kvDim() {
            return nHeadKv * headDim;
        }
    }

    /** Tensor data by GGUF name, in ggml order; {@code null} for a tensor the model does not have. */
    @FunctionalInterface
    public interface Weights {
        float[] get(String name);

        static Weights of(Map<String, float[]> tensors) {
            Objects.requireNonNull(tensors, "tensors");
            return tensors::get;
        }
    }

    private record Layer(float[] attnNorm, float[] wq, float[] bq, float[] wk, float[] bk, float[] wv, float[] bv,
                         float[] wo, float[] bo, float[] ffnNorm, float[] wGate, float[] bGate, float[] wUp,
                         float[] bUp, float[] wDown, float[] bDown) {
    }

    private final Config config;
    private final float[] tokEmbd;
    private final float[] outputNorm;
    private final float[] output;
    private final float[] outputBias;
    private final float[] ropeFreqs;
    private final Layer[] layers;

    public ReferenceLlama(Config config, Map<String, float[]> tensors) {
        this(config, Weights.of(tensors));
    }

    /** Reads and size-checks every tensor the config needs; throws IllegalArgumentException on a mismatch. */
    public ReferenceLlama(Config config, Weights weights) {
        this.config = Objects.requireNonNull(config, "config");
        Objects.requireNonNull(weights, "weights");
        Config c = config;
        tokEmbd = required(weights, "token_embd.weight", c.nEmbd(), c.nVocab());
        outputNorm = required(weights, "output_norm.weight", c.nEmbd(), 1);
        float[] out = optional(weights, "output.weight", c.nEmbd(), c.nVocab());
        output = out != null ? out : tokEmbd;
        outputBias = optional(weights, "output.bias", c.nVocab(), 1);
        float[] freqs = weights.get("rope_freqs.weight");
        if (freqs != null && freqs.length < c.nRot() / 2) {
            throw new IllegalArgumentException("rope_freqs.weight has " + freqs.length + " values, needs at least "
                    + c.nRot() / 2);
        }
        ropeFreqs = freqs;
        layers = new Layer[c.nLayer()];
        for (int l = 0; l < c.nLayer(); l++) {
            String p = "blk." + l + ".";
            layers[l] = new Layer(
                    required(weights, p + "attn_norm.weight", c.nEmbd(), 1),
                    required(weights, p + "attn_q.weight", c.nEmbd(), c.qDim()),
                    optional(weights, p + "attn_q.bias", c.qDim(), 1),
                    required(weights, p + "attn_k.weight", c.nEmbd(), c.kvDim()),
                    optional(weights, p + "attn_k.bias", c.kvDim(), 1),
                    required(weights, p + "attn_v.weight", c.nEmbd(), c.kvDim()),
                    optional(weights, p + "attn_v.bias", c.kvDim(), 1),
                    required(weights, p + "attn_output.weight", c.qDim(), c.nEmbd()),
                    optional(weights, p + "attn_output.bias", c.nEmbd(), 1),
                    required(weights, p + "ffn_norm.weight", c.nEmbd(), 1),
                    required(weights, p + "ffn_gate.weight", c.nEmbd(), c.nFf()),
                    optional(weights, p + "ffn_gate.bias", c.nFf(), 1),
                    required(weights, p + "ffn_up.weight", c.nEmbd(), c.nFf()),
                    optional(weights, p + "ffn_up.bias", c.nFf(), 1),
                    required(weights, p + "ffn_down.weight", c.nFf(), c.nEmbd()),
                    optional(weights, p + "ffn_down.bias", c.nEmbd(), 1));
        }
    }

    private static float[] required(Weights w, String name, int ne0, int ne1) {
        float[] t = optional(w, name, ne0, ne1);
        if (t == null) {
            throw new IllegalArgumentException("missing tensor " + name);
        }
        return t;
    }

    private static float[] optional(Weights w, String name, int ne0, int ne1) {
        float[] t = w.get(name);
        if (t != null && (long) t.length != (long) ne0 * ne1) {
            throw new IllegalArgumentException(name + " has " + t.length + " values, expected [" + ne0 + ", " + ne1
                    + "] = " + (long) ne0 * ne1);
        }
        return t;
    }

    public Config config() {
        return config;
    }

    /** Logits [position][vocab] for every position of {@code tokens}. */
    public double[][] logits(int[] tokens) {
        Session s = session();
        double[][] out = new double[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            out[i] = s.next(tokens[i]);
        }
        return out;
    }

    /** Logits of the last position of {@code tokens} (which must not be empty). */
    public double[] lastLogits(int[] tokens) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("no tokens");
        }
        Session s = session();
        double[] last = null;
        for (int t : tokens) {
            last = s.next(t);
        }
        return last;
    }

    /**
     * Greedy decoding: feeds {@code prompt} (not empty), then {@code n} times picks the argmax of the last logits
     * (ties go to the lowest id) and feeds it. Returns the {@code n} generated tokens, without the prompt.
     */
    public int[] greedy(int[] prompt, int n) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("empty prompt");
        }
        if (n < 0) {
            throw new IllegalArgumentException("n < 0");
        }
        Session s = session();
        double[] last = null;
        for (int t : prompt) {
            last = s.next(t);
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = argmax(last);
            if (i + 1 < n) {
                last = s.next(out[i]);
            }
        }
        return out;
    }

    /** Index of the largest value, the lowest index among equals; throws on NaN. */
    public static int argmax(double[] x) {
        int best = 0;
        for (int i = 0; i < x.length; i++) {
            if (Double.isNaN(x[i])) {
                throw new IllegalStateException("NaN logit at " + i);
            }
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    /** A fresh decoding state at position 0. */
    public Session session() {
        return new Session(0);
    }

    /** A fresh decoding state whose tokens attend to the last {@code window} positions only (sliding window). */
    public Session session(int window) {
        if (window <= 0) {
            throw new IllegalArgumentException("window must be positive, got " + window);
        }
        return new Session(window);
    }

    /**
     * Incremental decoding: each {@link #next} call processes one token at the next position, attending to every
     * earlier token of this session through a plain K/V cache (rotated keys and values, kept in double).
     */
    public final class Session {
        private final List<List<double[]>> keys = new ArrayList<>();
        private final List<List<double[]>> values = new ArrayList<>();
        private final int window;
        private int pos;

        private Session(int window) {
            this.window = window;
            for (int l = 0; l < config.nLayer(); l++) {
                keys.add(new ArrayList<>());
                values.add(new ArrayList<>());
            }
        }

        /** The position the next token will take (the number of tokens fed so far). */
        public int position() {
            return pos;
        }

        /** Feeds {@code token} at {@link #position()} and returns its logits [n_vocab]. */
        public double[] next(int token) {
            Config c = config;
            if (token < 0 || token >= c.nVocab()) {
                throw new IllegalArgumentException("token " + token + " outside [0, " + c.nVocab() + ")");
            }
            double[] x = new double[c.nEmbd()];
            for (int i = 0; i < c.nEmbd(); i++) {
                x[i] = tokEmbd[token * c.nEmbd() + i];
            }
            for (int l = 0; l < c.nLayer(); l++) {
                Layer w = layers[l];

                // attention
                double[] h = mul(rmsNorm(x, c.rmsEps()), w.attnNorm());
                double[] q = matVec(w.wq(), w.bq(), h, c.qDim());
                double[] k = matVec(w.wk(), w.bk(), h, c.kvDim());
                double[] v = matVec(w.wv(), w.bv(), h, c.kvDim());
                for (int hq = 0; hq < c.nHead(); hq++) {
                    ropeInPlace(q, hq * c.headDim(), pos, c.nRot(), c.ropeMode(), c.ropeFreqBase(),
                            c.ropeFreqScale(), ropeFreqs);
                }
                for (int hk = 0; hk < c.nHeadKv(); hk++) {
                    ropeInPlace(k, hk * c.headDim(), pos, c.nRot(), c.ropeMode(), c.ropeFreqBase(),
                            c.ropeFreqScale(), ropeFreqs);
                }
                List<double[]> ks = keys.get(l);
                List<double[]> vs = values.get(l);
                ks.add(k);
                vs.add(v);
                double[] attn = attend(q, ks, vs);
                double[] o = matVec(w.wo(), w.bo(), attn, c.nEmbd());
                for (int i = 0; i < c.nEmbd(); i++) {
                    x[i] += o[i];
                }

                // feed-forward (SwiGLU)
                h = mul(rmsNorm(x, c.rmsEps()), w.ffnNorm());
                double[] g = matVec(w.wGate(), w.bGate(), h, c.nFf());
                double[] u = matVec(w.wUp(), w.bUp(), h, c.nFf());
                for (int i = 0; i < c.nFf(); i++) {
                    g[i] = silu(g[i]) * u[i];
                }
                double[] d = matVec(w.wDown(), w.bDown(), g, c.nEmbd());
                for (int i = 0; i < c.nEmbd(); i++) {
                    x[i] += d[i];
                }
            }
            pos++;
            double[] h = mul(rmsNorm(x, c.rmsEps()), outputNorm);
            return matVec(output, outputBias, h, c.nVocab());
        }

        /** softmax(q_h . k_j * scale) over the cached positions, weighted sum of v_j, per query head. */
        private double[] attend(double[] q, List<double[]> ks, List<double[]> vs) {
            Config c = config;
            int hd = c.headDim();
            int group = c.nHead() / c.nHeadKv();
            int n = ks.size();
            int first = window > 0 ? Math.max(0, n - window) : 0; // a window sees positions (p - W, p]
            double scale = c.kqScale();
            double[] out = new double[c.qDim()];
            double[] s = new double[n];
            for (int hq = 0; hq < c.nHead(); hq++) {
                int qo = hq * hd;
                int kvo = (hq / group) * hd;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = first; j < n; j++) {
                    double[] kj = ks.get(j);
                    double dot = 0;
                    for (int i = 0; i < hd; i++) {
                        dot += q[qo + i] * kj[kvo + i];
                    }
                    s[j] = dot * scale;
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = first; j < n; j++) {
                    s[j] = Math.exp(s[j] - max);
                    sum += s[j];
                }
                for (int j = first; j < n; j++) {
                    double p = s[j] / sum;
                    double[] vj = vs.get(j);
                    for (int i = 0; i < hd; i++) {
                        out[qo + i] += p * vj[kvo + i];
                    }
                }
            }
            return out;
        }
    }

    /** y = W x (+ b) with W of ggml shape [x.length, nOut]: y[o] = sum_i W[o * x.length + i] * x[i]. */
    static double[] matVec(float[] w, float[] bias, double[] x, int nOut) {
        int nIn = x.length;
        double[] y = new double[nOut];
        for (int o = 0; o < nOut; o++) {
            int row = o * nIn;
            double s = 0;
            for (int i = 0; i < nIn; i++) {
                s += w[row + i] * x[i];
            }
            y[o] = bias == null ? s : s + bias[o];
        }
        return y;
    }

    /** x / sqrt(mean(x^2) + eps), as ggml_rms_norm. */
    public static double[] rmsNorm(double[] x, double eps) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double inv = 1.0 / Math.sqrt(ss / x.length + eps);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * inv;
        }
        return y;
    }

    private static double[] mul(double[] x, float[] w) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * w[i];
        }
        return y;
    }

    /** silu(x) = x * sigmoid(x). */
    static double silu(double x) {
        return x / (1.0 + Math.exp(-x));
    }

    /**
     * RoPE of one head vector at position {@code pos}, as ggml_rope_ext with ext_factor 0 and attn_factor 1: pair
     * i (i &lt; nRot/2) turns by theta_i = pos * freqScale * base^(-2i/nRot) / freqFactors[i] (factors may be null:
     * all 1). NORMAL pairs (x[2i], x[2i+1]); NEOX pairs (x[i], x[i + nRot/2]). Dimensions from nRot on are
     * copied unchanged. Returns a new array.
     */
    public static double[] rope(double[] head, int pos, int nRot, RopeMode mode, double base, double freqScale,
                                float[] freqFactors) {
        if (nRot > head.length || nRot % 2 != 0) {
            throw new IllegalArgumentException("n_rot " + nRot + " does not fit a head of " + head.length);
        }
        double[] y = head.clone();
        ropeInPlace(y, 0, pos, nRot, mode, base, freqScale, freqFactors);
        return y;
    }

    private static void ropeInPlace(double[] x, int off, int pos, int nRot, RopeMode mode, double base,
                                    double freqScale, float[] freqFactors) {
        int half = nRot / 2;
        for (int i = 0; i < half; i++) {
            double theta = pos * freqScale * Math.pow(base, -2.0 * i / nRot);
            if (freqFactors != null) {
                theta /= freqFactors[i];
            }
            double cos = Math.cos(theta);
            double sin = Math.sin(theta);
            int a = off + (mode == RopeMode.NORMAL ? 2 * i : i);
            int b = off + (mode == RopeMode.NORMAL ? 2 * i + 1 : i + half);
            double x0 = x[a];
            double x1 = x[b];
            x[a] = x0 * cos - x1 * sin;
            x[b] = x0 * sin + x1 * cos;
        }
    }
}
