package io.github.ggml4j.arch;

import io.github.ggml4j.gguf.GgufMetadata;

/**
 * BLOOM ({@code bloom}, BigScience): the GPT-2 block with ALiBi attention biases instead of position
 * embeddings and a LayerNorm right after the token embeddings ({@code token_embd_norm}). The files carry no
 * ALiBi key; as llama.cpp does, the maximum bias is 8, which gives head h of n (a power of two) the slope 2^(-8(h+1)/n).
 *
 * {@snippet :
 * HParams hp = Recipes.forArchitecture("bloom").hparams(file.metadata());
 * assert hp.maxAlibiBias() == 8f;
 * }
 */
public final class BloomRecipe extends Gpt2Recipe {

    /** BLOOM's ALiBi maximum bias (not stored in its GGUF files). */
    static final float MAX_ALIBI_BIAS = 8.0f;

    @Override
    public String name() {
        return "bloom";
    }

    @Override
    public HParams hparams(GgufMetadata metadata) {
        return new HParamsReader(metadata, name()).read(HParams.ROPE_NORMAL, 0, LAYER_NORM_EPS)
                .withAlibi(MAX_ALIBI_BIAS, 0f);
    }

    @Override
    protected Presence positions() {
        return Presence.ABSENT;
    }

    @Override
    protected Presence tokenNorm() {
        return Presence.REQUIRED;
    }
}
