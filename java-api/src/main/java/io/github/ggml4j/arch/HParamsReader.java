package io.github.ggml4j.arch;

import io.github.ggml4j.GgufFormatException;
import io.github.ggml4j.ModelException;
import io.github.ggml4j.gguf.GgufMetadata;

/**
 * Reads the common transformer hyper-parameters from {@code <arch>.*} metadata keys, with llama.cpp's
 * defaults where a key is optional. The one place hyper-parameters come from.
 */
public final class HParamsReader {

    private final GgufMetadata md;
    private final String arch;

    public HParamsReader(GgufMetadata md, String arch) {
        this.md = md;
        this.arch = arch;
    }

    private String key(String suffix) {
        return arch + "." + suffix;
    }

    public int requireInt(String suffix) {
        return md.getInt(key(suffix));
    }

    public int intOr(String suffix, int fallback) {
        return md.optInt(key(suffix)).orElse(fallback);
    }

    public float floatOr(String suffix, float fallback) {
        return md.optFloat(key(suffix)).orElse(fallback);
    }

    /**
     * The transformer hyper-parameters.
     *
     * @param ropeType   the architecture's RoPE mode
     * @param nVocabHint the vocabulary size from the embedding tensor, used when no metadata gives it
     */
    public HParams read(int ropeType, int nVocabHint) {
        return read(ropeType, nVocabHint, "attention.layer_norm_rms_epsilon");
    }

    /**
     * As {@link #read(int, int)}, with the norm epsilon from {@code <arch>.<epsKey>}: LayerNorm models
     * (GPT-2, MPT, BLOOM, Falcon) give {@code attention.layer_norm_epsilon}, which stands in
     * {@link HParams#rmsEps()}.
     */
    public HParams read(int ropeType, int nVocabHint, String epsKey) {
        try {
            return readChecked(ropeType, nVocabHint, epsKey);
        } catch (GgufFormatException e) {
            // a missing or mistyped hyper-parameter is a valid GGUF file that is not a usable model
            throw new ModelException(arch + ": " + e.getMessage(), e);
        }
    }

    private HParams readChecked(int ropeType, int nVocabHint, String epsKey) {
        int nEmbd = requireInt("embedding_length");
        int nHead = requireInt("attention.head_count");
        int nHeadKv = intOr("attention.head_count_kv", nHead);
        if (nHead <= 0) {
            throw new ModelException(arch + ": attention.head_count must be positive, got " + nHead);
        }
        int headK = intOr("attention.key_length", nEmbd / nHead);
        int headV = intOr("attention.value_length", headK);
        int nRot = intOr("rope.dimension_count", headK);
        int nVocab = md.optInt(key("vocab_size")).orElse(
                md.optArray("tokenizer.ggml.tokens").map(a -> a.size()).orElse(nVocabHint));

        float freqScale = 1.0f;
        String scaling = md.optString(key("rope.scaling.type")).orElse("none");
        float factor = floatOr("rope.scaling.factor", floatOr("rope.scale_linear", 0.0f));
        switch (scaling) {
            case "none" -> {
                if (factor != 0.0f && factor != 1.0f && md.optString(key("rope.scaling.type")).isEmpty()) {
                    freqScale = 1.0f / factor; // old files: rope.scale_linear without a type
                }
            }
            case "linear" -> {
                if (factor != 0.0f) {
                    freqScale = 1.0f / factor;
                }
            }
            default -> throw new ModelException(arch + ": RoPE scaling '" + scaling + "' is not supported (none, linear)");
        }
        return new HParams(arch, nVocab, requireInt("context_length"), nEmbd, requireInt("block_count"),
                requireInt("feed_forward_length"), nHead, nHeadKv, headK, headV, nRot, ropeType,
                floatOr("rope.freq_base", 10000.0f), freqScale,
                intOr("rope.scaling.original_context_length", 0),
                md.getFloat(key(epsKey)),
                floatOr("attention.scale", 0.0f),
                intOr("attention.sliding_window", 0), swaPattern(requireInt("block_count"), 0, false));
    }

    /**
     * Which layers use the sliding window, as llama.cpp reads {@code <arch>.attention.sliding_window_pattern}:
     * an array of one flag per layer (bool or integer, non-zero = windowed), or a period n where, counting
     * from 0, every n-th layer is dense — the last of each period, or the first when {@code denseFirst} — and
     * n = 0 means every layer is windowed.
     *
     * @param defaultPeriod the architecture's period when the key is absent (0: every layer windowed)
     * @return one flag per layer, or empty when every layer is windowed
     */
    public java.util.List<Boolean> swaPattern(int nLayer, int defaultPeriod, boolean denseFirst) {
        String k = key("attention.sliding_window_pattern");
        Boolean[] flags = new Boolean[nLayer];
        if (md.type(k).orElse(null) == io.github.ggml4j.gguf.GgufValueType.ARRAY) {
            io.github.ggml4j.gguf.GgufArray a = md.getArray(k);
            if (a.size() != nLayer) {
                throw new ModelException(arch + ": " + k + " has " + a.size() + " flags for " + nLayer + " layers");
            }
            boolean[] b;
            switch (a.elementType()) {
                case BOOL -> b = a.toBooleanArray();
                case INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64, UINT64 -> {
                    long[] v = a.toLongArray();
                    b = new boolean[v.length];
                    for (int i = 0; i < v.length; i++) {
                        b[i] = v[i] != 0;
                    }
                }
                default -> throw new ModelException(arch + ": " + k + " is an array of " + a.elementType()
                        + ", not of bools or integers");
            }
            for (int il = 0; il < nLayer; il++) {
                flags[il] = b[il];
            }
        } else {
            int n = md.contains(k) ? md.getInt(k) : defaultPeriod;
            if (n < 0) {
                throw new ModelException(arch + ": " + k + " is negative: " + n);
            }
            if (n == 0) {
                return java.util.List.of();
            }
            for (int il = 0; il < nLayer; il++) {
                flags[il] = denseFirst ? il % n != 0 : il % n < n - 1;
            }
        }
        return java.util.Arrays.asList(flags).contains(Boolean.FALSE) ? java.util.List.of(flags) : java.util.List.of();
    }

    /**
     * An RWKV model's hyper-parameters: heads are {@code n_embd / wkv.head_size} (the file's
     * {@code attention.head_count} is 0, as llama.cpp's converter writes it), the layer-norm epsilon stands in
     * {@link HParams#rmsEps()}, and the RWKV keys go to {@link HParams#rwkv()}.
     *
     * @param version 6 or 7: which LoRA ranks are required
     */
    public HParams readRwkv(int version) {
        try {
            int nEmbd = requireInt("embedding_length");
            int head = requireInt("wkv.head_size");
            if (head <= 0 || nEmbd % head != 0) {
                throw new ModelException(arch + ": wkv.head_size " + head + " does not divide embedding_length " + nEmbd);
            }
            float eps = md.getFloat(key("attention.layer_norm_epsilon"));
            RwkvParams rp = version == 6
                    ? new RwkvParams(head, intOr("token_shift_count", 2), eps, requireInt("time_mix_extra_dim"),
                            requireInt("time_decay_extra_dim"), intOr("rescale_every_n_layers", 0), 0, 0, 0, 0)
                    : new RwkvParams(head, intOr("token_shift_count", 2), eps, 0, 0, 0,
                            requireInt("attention.decay_lora_rank"), requireInt("attention.iclr_lora_rank"),
                            requireInt("attention.value_residual_mix_lora_rank"), intOr("attention.gate_lora_rank", 0));
            int nHead = nEmbd / head;
            int nVocab = md.optInt(key("vocab_size")).orElse(
                    md.optArray("tokenizer.ggml.tokens").map(a -> a.size()).orElse(0));
            return new HParams(arch, nVocab, requireInt("context_length"), nEmbd, requireInt("block_count"),
                    requireInt("feed_forward_length"), nHead, nHead, head, head, head, HParams.ROPE_NORMAL, 10000f, 1f,
                    0, eps, 0f, 0, rp);
        } catch (GgufFormatException e) {
            throw new ModelException(arch + ": " + e.getMessage(), e);
        }
    }
}
