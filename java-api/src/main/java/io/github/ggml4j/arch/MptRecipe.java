package io.github.ggml4j.arch;

import io.github.ggml4j.ModelException;
import io.github.ggml4j.gguf.GgufMetadata;

/**
 * MPT ({@code mpt}, MosaicML): the GPT-2 block with ALiBi attention biases (Press et al. 2022) in place of
 * position embeddings — the soft-max adds {@code -slope_h · |i - j|}, slopes from
 * {@code mpt.attention.max_alibi_bias} (files with learned positions as well are refused) — biases optional (MPT-7B has none), and the fused QKV projection
 * clamped to ±{@code mpt.attention.clamp_kqv} when set. The KV cache is the usual one: ALiBi needs only the
 * distance mask.
 *
 * {@snippet :
 * HParams hp = Recipes.forArchitecture("mpt").hparams(file.metadata());
 * float maxBias = hp.maxAlibiBias(); // 8 in MPT-7B
 * }
 */
public final class MptRecipe extends Gpt2Recipe {

    @Override
    public String name() {
        return "mpt";
    }

    @Override
    public HParams hparams(GgufMetadata metadata) {
        HParamsReader r = new HParamsReader(metadata, name());
        return r.read(HParams.ROPE_NORMAL, 0, LAYER_NORM_EPS)
                .withAlibi(r.floatOr("attention.max_alibi_bias", 0f), r.floatOr("attention.clamp_kqv", 0f));
    }

    @Override
    protected Presence positions() {
        return Presence.ABSENT;
    }

    @Override
    protected Presence biases() {
        return Presence.OPTIONAL;
    }

    @Override
    public Weights bind(WeightSource w, HParams hp) {
        // variants llama.cpp knows but this recipe does not compute: refused rather than silently ignored
        if (w.has("position_embd.weight")) {
            throw new ModelException("mpt: learned position embeddings (position_embd.weight) are not supported");
        }
        for (String extra : new String[] {"attn_q_norm.weight", "attn_k_norm.weight", "ffn_act.scales"}) {
            if (w.has(LlamaRecipe.blk(0, extra))) {
                throw new ModelException("mpt: tensor blk.0." + extra + " (Q/K LayerNorm or AWQ activation scales)"
                        + " is not supported");
            }
        }
        return super.bind(w, hp);
    }
}
