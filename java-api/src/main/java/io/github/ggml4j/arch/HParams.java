package io.github.ggml4j.arch;

import io.github.ggml4j.ModelException;

/**
 * Hyper-parameters of a transformer, read from GGUF metadata by {@link HParamsReader} and checked here so
 * that nothing past this point can feed ggml a shape it would assert on (case 33).
 *
 * @param arch          architecture name as in {@code general.architecture}
 * @param nVocab        vocabulary size (rows of the embedding)
 * @param nCtxTrain     context length the model was trained with
 * @param nEmbd         embedding width
 * @param nLayer        number of blocks
 * @param nFf           feed-forward width
 * @param nHead         attention heads (queries)
 * @param nHeadKv       key/value heads (GQA when smaller than nHead)
 * @param nEmbdHeadK    width of one key head
 * @param nEmbdHeadV    width of one value head
 * @param nRot          RoPE dimensions (at most nEmbdHeadK, even)
 * @param ropeType      ggml rope mode (0 normal, 2 NeoX)
 * @param ropeFreqBase  RoPE base frequency
 * @param ropeFreqScale RoPE frequency scale (1 / linear scaling factor)
 * @param nCtxOrig      original context length for YaRN-style scaling
 * @param rmsEps        RMSNorm epsilon
 * @param attnScale     attention scale, or 0 for 1/sqrt(head width)
 * @param slidingWindow sliding-window size for attention, or 0 for none
 * @param swaLayers     which layers use the window (one flag per layer, as
 *                      {@code <arch>.attention.sliding_window_pattern} gives it), or empty: every layer does
 * @param rwkv          RWKV's own hyper-parameters, or null for attention models
 * @param maxAlibiBias  ALiBi's maximum bias (the per-head slopes follow from it and the head count), or 0 for
 *                      no ALiBi; when set the memory's mask holds {@code -|i - j|} for visible cells
 * @param clampKqv      clamp of the fused QKV projection to [-c, c], or 0 for none (MPT's {@code clip_qkv})
 * @param encoder       an encoder's pooling and classification head, or null for decoders
 */
public record HParams(String arch, int nVocab, int nCtxTrain, int nEmbd, int nLayer, int nFf, int nHead, int nHeadKv,
                      int nEmbdHeadK, int nEmbdHeadV, int nRot, int ropeType, float ropeFreqBase, float ropeFreqScale,
                      int nCtxOrig, float rmsEps, float attnScale, int slidingWindow,
                      java.util.List<Boolean> swaLayers, RwkvParams rwkv,
                      float maxAlibiBias, float clampKqv, EncoderParams encoder) {

    public static final int ROPE_NORMAL = 0;
    public static final int ROPE_NEOX = 2;

    public HParams {
        positive("vocabulary size", nVocab);
        positive("context length", nCtxTrain);
        positive("embedding length", nEmbd);
        positive("block count", nLayer);
        positive("feed-forward length", nFf);
        positive("head count", nHead);
        positive("KV head count", nHeadKv);
        positive("key head width", nEmbdHeadK);
        positive("value head width", nEmbdHeadV);
        if (nHead % nHeadKv != 0) {
            throw new ModelException(arch + ": head_count_kv " + nHeadKv + " does not divide head_count " + nHead);
        }
        if (nRot <= 0 || nRot > nEmbdHeadK || nRot % 2 != 0) {
            throw new ModelException(arch + ": RoPE dimension count " + nRot + " must be even and in 1.." + nEmbdHeadK);
        }
        if (ropeType != ROPE_NORMAL && ropeType != ROPE_NEOX) {
            throw new ModelException(arch + ": unsupported RoPE type " + ropeType);
        }
        finitePositive("rope.freq_base", ropeFreqBase);
        finitePositive("rope frequency scale", ropeFreqScale);
        if (!(rmsEps > 0 && rmsEps < 1)) {
            throw new ModelException(arch + ": layer_norm_rms_epsilon " + rmsEps + " is not in (0, 1)");
        }
        if (!Float.isFinite(attnScale) || attnScale < 0) {
            throw new ModelException(arch + ": attention scale " + attnScale + " is not a finite non-negative number");
        }
        if (!Float.isFinite(maxAlibiBias) || maxAlibiBias < 0 || !Float.isFinite(clampKqv) || clampKqv < 0) {
            throw new ModelException(arch + ": max_alibi_bias " + maxAlibiBias + " and clamp_kqv " + clampKqv
                    + " must be finite and non-negative");
        }
        if (slidingWindow < 0) {
            throw new ModelException(arch + ": sliding window " + slidingWindow + " is negative");
        }
        swaLayers = java.util.List.copyOf(java.util.Objects.requireNonNull(swaLayers, "swaLayers"));
        if (!swaLayers.isEmpty() && swaLayers.size() != nLayer) {
            throw new ModelException(arch + ": the sliding-window pattern has " + swaLayers.size() + " flags for "
                    + nLayer + " layers");
        }
        if (nCtxOrig <= 0) {
            nCtxOrig = nCtxTrain;
        }
        // the widths below must fit ggml's int64 shapes and our int indexing
        if ((long) nEmbdHeadK * nHead > Integer.MAX_VALUE || (long) nEmbdHeadV * nHead > Integer.MAX_VALUE) {
            throw new ModelException(arch + ": attention width overflows");
        }
    }

    /** A transformer's hyper-parameters (no recurrent part, every layer alike). */
    public HParams(String arch, int nVocab, int nCtxTrain, int nEmbd, int nLayer, int nFf, int nHead, int nHeadKv,
                   int nEmbdHeadK, int nEmbdHeadV, int nRot, int ropeType, float ropeFreqBase, float ropeFreqScale,
                   int nCtxOrig, float rmsEps, float attnScale, int slidingWindow) {
        this(arch, nVocab, nCtxTrain, nEmbd, nLayer, nFf, nHead, nHeadKv, nEmbdHeadK, nEmbdHeadV, nRot, ropeType,
                ropeFreqBase, ropeFreqScale, nCtxOrig, rmsEps, attnScale, slidingWindow, java.util.List.of(), null, 0f, 0f, null);
    }

    /** A transformer's hyper-parameters with a sliding-window pattern. */
    public HParams(String arch, int nVocab, int nCtxTrain, int nEmbd, int nLayer, int nFf, int nHead, int nHeadKv,
                   int nEmbdHeadK, int nEmbdHeadV, int nRot, int ropeType, float ropeFreqBase, float ropeFreqScale,
                   int nCtxOrig, float rmsEps, float attnScale, int slidingWindow, java.util.List<Boolean> swaLayers) {
        this(arch, nVocab, nCtxTrain, nEmbd, nLayer, nFf, nHead, nHeadKv, nEmbdHeadK, nEmbdHeadV, nRot, ropeType,
                ropeFreqBase, ropeFreqScale, nCtxOrig, rmsEps, attnScale, slidingWindow, swaLayers, null, 0f, 0f, null);
    }

    /** A recurrent model's hyper-parameters. */
    public HParams(String arch, int nVocab, int nCtxTrain, int nEmbd, int nLayer, int nFf, int nHead, int nHeadKv,
                   int nEmbdHeadK, int nEmbdHeadV, int nRot, int ropeType, float ropeFreqBase, float ropeFreqScale,
                   int nCtxOrig, float rmsEps, float attnScale, int slidingWindow, RwkvParams rwkv) {
        this(arch, nVocab, nCtxTrain, nEmbd, nLayer, nFf, nHead, nHeadKv, nEmbdHeadK, nEmbdHeadV, nRot, ropeType,
                ropeFreqBase, ropeFreqScale, nCtxOrig, rmsEps, attnScale, slidingWindow, java.util.List.of(), rwkv, 0f, 0f, null);
    }

    private static void positive(String what, int v) {
        if (v <= 0) {
            throw new ModelException(what + " must be positive, got " + v);
        }
    }

    private static void finitePositive(String what, float v) {
        if (!Float.isFinite(v) || v <= 0) {
            throw new ModelException(what + " must be a finite positive number, got " + v);
        }
    }

    /** Width of all query heads together. */
    public int nEmbdQ() {
        return nEmbdHeadK * nHead;
    }

    /** Width of all key heads together (smaller than nEmbdQ with GQA). */
    public int nEmbdKGqa() {
        return nEmbdHeadK * nHeadKv;
    }

    /** Width of all value heads together. */
    public int nEmbdVGqa() {
        return nEmbdHeadV * nHeadKv;
    }

    /** Whether layer {@code il} attends through the sliding window (when one is set). */
    public boolean isSwa(int il) {
        return swaLayers.isEmpty() || swaLayers.get(il);
    }

    /** Whether the window, when set, applies to some layers and not to others (llama.cpp's iSWA). */
    public boolean mixedSwa() {
        return swaLayers.contains(Boolean.TRUE) && swaLayers.contains(Boolean.FALSE);
    }

    /** Layers that use the window, when one is set. */
    public int swaLayerCount() {
        return swaLayers.isEmpty() ? nLayer : (int) swaLayers.stream().filter(b -> b).count();
    }

    /**
     * These hyper-parameters for a cache that serves {@code n} of the layers (all layers of one kind: every
     * layer has the same widths), without a pattern.
     */
    public HParams forLayers(int n) {
        return new HParams(arch, nVocab, nCtxTrain, nEmbd, n, nFf, nHead, nHeadKv, nEmbdHeadK, nEmbdHeadV, nRot,
                ropeType, ropeFreqBase, ropeFreqScale, nCtxOrig, rmsEps, attnScale, slidingWindow, java.util.List.of(), rwkv,
                maxAlibiBias, clampKqv, encoder);
    }

    /** A copy with another window pattern (see {@link HParamsReader#swaPattern}). */
    public HParams withSwaLayers(java.util.List<Boolean> pattern) {
        return new HParams(arch, nVocab, nCtxTrain, nEmbd, nLayer, nFf, nHead, nHeadKv, nEmbdHeadK, nEmbdHeadV, nRot,
                ropeType, ropeFreqBase, ropeFreqScale, nCtxOrig, rmsEps, attnScale, slidingWindow, pattern, rwkv,
                maxAlibiBias, clampKqv, encoder);
    }

    /** A copy with ALiBi's maximum bias and the QKV clamp (each 0 for none). */
    public HParams withAlibi(float maxBias, float clamp) {
        return new HParams(arch, nVocab, nCtxTrain, nEmbd, nLayer, nFf, nHead, nHeadKv, nEmbdHeadK, nEmbdHeadV, nRot,
                ropeType, ropeFreqBase, ropeFreqScale, nCtxOrig, rmsEps, attnScale, slidingWindow, swaLayers, rwkv,
                maxBias, clamp, encoder);
    }

    /** A copy with an encoder's pooling and classification head. */
    public HParams withEncoder(EncoderParams e) {
        return new HParams(arch, nVocab, nCtxTrain, nEmbd, nLayer, nFf, nHead, nHeadKv, nEmbdHeadK, nEmbdHeadV, nRot,
                ropeType, ropeFreqBase, ropeFreqScale, nCtxOrig, rmsEps, attnScale, slidingWindow, swaLayers, rwkv,
                maxAlibiBias, clampKqv, e);
    }

    /** The attention scale actually used. */
    public float kqScale() {
        return attnScale == 0 ? (float) (1.0 / Math.sqrt(nEmbdHeadK)) : attnScale;
    }
}
