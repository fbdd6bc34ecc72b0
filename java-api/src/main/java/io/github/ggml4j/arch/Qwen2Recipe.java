package io.github.ggml4j.arch;

/**
 * Qwen2: the Llama block with biases on the Q, K and V projections (bound as optional by the Llama recipe,
 * present in every Qwen2 file) and NeoX-style RoPE, which rotates the two halves of each head.
 */
public final class Qwen2Recipe extends LlamaRecipe {

    @Override
    public String name() {
        return "qwen2";
    }

    @Override
    protected int ropeType() {
        return HParams.ROPE_NEOX;
    }

    @Override
    protected Layer bindLayer(WeightSource w, HParams hp, int il) {
        // Qwen2 requires the QKV biases; binding them first as required gives a precise error when missing
        w.require(blk(il, "attn_q.bias"), WeightUse.ADD, il, hp.nEmbdQ());
        w.require(blk(il, "attn_k.bias"), WeightUse.ADD, il, hp.nEmbdKGqa());
        w.require(blk(il, "attn_v.bias"), WeightUse.ADD, il, hp.nEmbdVGqa());
        return super.bindLayer(w, hp, il);
    }
}
