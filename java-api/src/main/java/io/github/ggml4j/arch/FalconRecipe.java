package io.github.ggml4j.arch;

import io.github.ggml4j.ModelException;
import io.github.ggml4j.gguf.GgufMetadata;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Falcon ({@code falcon}, TII): parallel attention and FFN — both read the block's input through LayerNorm
 * and both outputs are added to the residual at once — multi-query (Falcon-7B, one KV head) or grouped
 * attention from a fused QKV projection without biases, NeoX RoPE over the whole head, and a GELU FFN without
 * biases. Falcon-40B's second norm ({@code attn_norm_2}) feeds attention while the first feeds the FFN.
 *
 * {@snippet :
 * HParams hp = Recipes.forArchitecture("falcon").hparams(file.metadata());
 * int kvHeads = hp.nHeadKv(); // 1 in Falcon-7B
 * }
 */
public final class FalconRecipe implements Recipe<FalconRecipe.Weights> {

    /** One block's weights; {@code attnNorm2} and its bias are null in the one-norm (7B) layout. */
    public record Layer(MemorySegment attnNorm, MemorySegment attnNormB, MemorySegment attnNorm2,
                        MemorySegment attnNorm2B, MemorySegment wqkv, MemorySegment wo, MemorySegment ffnUp,
                        MemorySegment ffnDown) {
    }

    public record Weights(MemorySegment tokEmbd, List<Layer> layers, MemorySegment outputNorm,
                          MemorySegment outputNormB, MemorySegment output) {

        public Weights {
            layers = List.copyOf(layers);
        }
    }

    @Override
    public String name() {
        return "falcon";
    }

    @Override
    public HParams hparams(GgufMetadata metadata) {
        HParams hp = new HParamsReader(metadata, name()).read(HParams.ROPE_NEOX, 0, Gpt2Recipe.LAYER_NORM_EPS);
        if (hp.nRot() != hp.nEmbdHeadK()) {
            throw new ModelException("falcon: rope.dimension_count " + hp.nRot() + " must equal the head width "
                    + hp.nEmbdHeadK());
        }
        return hp;
    }

    @Override
    public Weights bind(WeightSource w, HParams hp) {
        if (hp.nEmbdHeadK() != hp.nEmbdHeadV() || hp.nEmbdQ() != hp.nEmbd()) {
            throw new ModelException("falcon: heads must split n_embd " + hp.nEmbd() + " evenly");
        }
        long nEmbd = hp.nEmbd();
        long nVocab = hp.nVocab();
        long nQkv = hp.nEmbdQ() + 2L * hp.nEmbdKGqa();
        int out = WeightSource.OUTPUT;
        MemorySegment tokEmbd = w.require("token_embd.weight", WeightUse.GET_ROWS, WeightSource.INPUT, nEmbd, nVocab);
        MemorySegment outputNorm = w.require("output_norm.weight", WeightUse.MUL, out, nEmbd);
        MemorySegment outputNormB = w.require("output_norm.bias", WeightUse.ADD, out, nEmbd);
        MemorySegment output = w.requireOrTie("output.weight", "token_embd.weight", WeightUse.MUL_MAT, out, nEmbd,
                nVocab);
        Layer[] layers = new Layer[hp.nLayer()];
        for (int il = 0; il < hp.nLayer(); il++) {
            MemorySegment norm2 = w.optional(LlamaRecipe.blk(il, "attn_norm_2.weight"), WeightUse.MUL, il, nEmbd);
            layers[il] = new Layer(
                    w.require(LlamaRecipe.blk(il, "attn_norm.weight"), WeightUse.MUL, il, nEmbd),
                    w.require(LlamaRecipe.blk(il, "attn_norm.bias"), WeightUse.ADD, il, nEmbd),
                    norm2,
                    norm2 == null ? null : w.require(LlamaRecipe.blk(il, "attn_norm_2.bias"), WeightUse.ADD, il, nEmbd),
                    w.require(LlamaRecipe.blk(il, "attn_qkv.weight"), WeightUse.MUL_MAT, il, nEmbd, nQkv),
                    w.require(LlamaRecipe.blk(il, "attn_output.weight"), WeightUse.MUL_MAT, il, nEmbd, nEmbd),
                    w.require(LlamaRecipe.blk(il, "ffn_up.weight"), WeightUse.MUL_MAT, il, nEmbd, hp.nFf()),
                    w.require(LlamaRecipe.blk(il, "ffn_down.weight"), WeightUse.MUL_MAT, il, hp.nFf(), nEmbd));
        }
        return new Weights(tokEmbd, List.of(layers), outputNorm, outputNormB, output);
    }

    @Override
    public MemorySegment build(GraphBuilder g, Weights w) {
        HParams hp = g.hparams();
        int nLayer = hp.nLayer();

        MemorySegment inpL = g.inputEmbeddings(w.tokEmbd()); // [n_embd, n_tokens]
        for (int il = 0; il < nLayer; il++) {
            Layer l = w.layers().get(il);
            MemorySegment attnNorm = g.layerNorm(inpL, l.attnNorm(), l.attnNormB()); // [n_embd, n_tokens]
            MemorySegment cur = l.attnNorm2() == null ? attnNorm : g.layerNorm(inpL, l.attnNorm2(), l.attnNorm2B());
            GraphBuilder.Qkv qkv = g.fusedQkv(cur, l.wqkv(), null);
            MemorySegment q = g.rope(qkv.q(), null); // [head_dim, n_head, n_tokens]
            MemorySegment k = g.rope(qkv.k(), null); // [head_dim, n_head_kv, n_tokens]
            MemorySegment attn = g.attention(il, q, k, qkv.v(), l.wo(), null); // [n_embd, n_tokens]
            if (il == nLayer - 1) {
                // [n_embd, n_outputs] from here on
                attn = g.selectOutputs(attn);
                inpL = g.selectOutputs(inpL);
                attnNorm = g.selectOutputs(attnNorm);
            }
            // the FFN reads the attention's input norm, not its result: both branches run in parallel
            MemorySegment ffn = g.geluFfn(attnNorm, l.ffnUp(), null, l.ffnDown(), null);
            inpL = g.add(g.add(ffn, attn), inpL);
        }
        MemorySegment cur = g.layerNorm(inpL, w.outputNorm(), w.outputNormB());
        return g.linear(w.output(), cur, null); // [n_vocab, n_outputs]
    }
}
