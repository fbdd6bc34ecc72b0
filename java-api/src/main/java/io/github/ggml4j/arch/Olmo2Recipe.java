package io.github.ggml4j.arch;

import io.github.ggml4j.gguf.GgufMetadata;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * OLMo 2 / OLMo 3 ({@code olmo2}): the Llama block with the norms moved — no norm before attention or the
 * FFN, RMSNorm of the whole Q and K projections (before RoPE, NeoX style), and RMSNorm of the attention and
 * FFN outputs before each residual add. With {@code olmo2.attention.sliding_window} set (OLMo 3), attention
 * is interleaved: by {@code olmo2.attention.sliding_window_pattern}, or three windowed layers then one dense
 * as llama.cpp defaults to. The closest of llama.cpp's standard-SWA architectures to a Llama block.
 *
 * {@snippet :
 * HParams hp = Recipes.forArchitecture("olmo2").hparams(file.metadata());
 * boolean windowed = hp.isSwa(0); // layers 0, 1, 2 windowed, 3 dense, ...
 * }
 */
public final class Olmo2Recipe implements Recipe<Olmo2Recipe.Weights> {

    /** One block's weights. */
    public record Layer(MemorySegment wq, MemorySegment wk, MemorySegment wv, MemorySegment qNorm,
                        MemorySegment kNorm, MemorySegment wo, MemorySegment attnPostNorm, MemorySegment ffnGate,
                        MemorySegment ffnUp, MemorySegment ffnDown, MemorySegment ffnPostNorm) {
    }

    public record Weights(MemorySegment tokEmbd, List<Layer> layers, MemorySegment outputNorm, MemorySegment output) {
    }

    /** llama.cpp's default: the last layer of every four is dense. */
    static final int DEFAULT_SWA_PERIOD = 4;

    @Override
    public String name() {
        return "olmo2";
    }

    @Override
    public HParams hparams(GgufMetadata metadata) {
        HParamsReader r = new HParamsReader(metadata, name());
        HParams hp = r.read(HParams.ROPE_NEOX, 0);
        return hp.withSwaLayers(r.swaPattern(hp.nLayer(), DEFAULT_SWA_PERIOD, false));
    }

    @Override
    public Weights bind(WeightSource w, HParams hp) {
        long nEmbd = hp.nEmbd();
        MemorySegment tokEmbd = w.require("token_embd.weight", WeightUse.GET_ROWS, WeightSource.INPUT, nEmbd, hp.nVocab());
        MemorySegment outputNorm = w.require("output_norm.weight", WeightUse.MUL, WeightSource.OUTPUT, nEmbd);
        MemorySegment output = w.require("output.weight", WeightUse.MUL_MAT, WeightSource.OUTPUT, nEmbd, hp.nVocab());
        Layer[] layers = new Layer[hp.nLayer()];
        for (int il = 0; il < hp.nLayer(); il++) {
            layers[il] = new Layer(
                    w.require(LlamaRecipe.blk(il, "attn_q.weight"), WeightUse.MUL_MAT, il, nEmbd, hp.nEmbdQ()),
                    w.require(LlamaRecipe.blk(il, "attn_k.weight"), WeightUse.MUL_MAT, il, nEmbd, hp.nEmbdKGqa()),
                    w.require(LlamaRecipe.blk(il, "attn_v.weight"), WeightUse.MUL_MAT, il, nEmbd, hp.nEmbdVGqa()),
                    w.require(LlamaRecipe.blk(il, "attn_q_norm.weight"), WeightUse.MUL, il, hp.nEmbdQ()),
                    w.require(LlamaRecipe.blk(il, "attn_k_norm.weight"), WeightUse.MUL, il, hp.nEmbdKGqa()),
                    w.require(LlamaRecipe.blk(il, "attn_output.weight"), WeightUse.MUL_MAT, il, hp.nEmbdQ(), nEmbd),
                    w.require(LlamaRecipe.blk(il, "post_attention_norm.weight"), WeightUse.MUL, il, nEmbd),
                    w.require(LlamaRecipe.blk(il, "ffn_gate.weight"), WeightUse.MUL_MAT, il, nEmbd, hp.nFf()),
                    w.require(LlamaRecipe.blk(il, "ffn_up.weight"), WeightUse.MUL_MAT, il, nEmbd, hp.nFf()),
                    w.require(LlamaRecipe.blk(il, "ffn_down.weight"), WeightUse.MUL_MAT, il, hp.nFf(), nEmbd),
                    w.require(LlamaRecipe.blk(il, "post_ffw_norm.weight"), WeightUse.MUL, il, nEmbd));
        }
        return new Weights(tokEmbd, List.of(layers), outputNorm, output);
    }

    @Override
    public MemorySegment build(GraphBuilder g, Weights w) {
        HParams hp = g.hparams();
        int nTokens = g.shape().nTokens();
        int nLayer = hp.nLayer();
        MemorySegment inpL = g.inputEmbeddings(w.tokEmbd());
        for (int il = 0; il < nLayer; il++) {
            Layer l = w.layers().get(il);
            MemorySegment inpSA = inpL;
            MemorySegment q = g.rmsNorm(g.linear(l.wq(), inpL, null), l.qNorm()); // [n_embd_q, n_tokens]
            MemorySegment k = g.rmsNorm(g.linear(l.wk(), inpL, null), l.kNorm());
            MemorySegment v = g.linear(l.wv(), inpL, null);
            q = g.rope(g.reshape3d(q, hp.nEmbdHeadK(), hp.nHead(), nTokens), null);
            k = g.rope(g.reshape3d(k, hp.nEmbdHeadK(), hp.nHeadKv(), nTokens), null);
            v = g.reshape3d(v, hp.nEmbdHeadV(), hp.nHeadKv(), nTokens);
            MemorySegment cur = g.attention(il, q, k, v, l.wo(), null);
            if (il == nLayer - 1) {
                cur = g.selectOutputs(cur);
                inpSA = g.selectOutputs(inpSA);
            }
            MemorySegment ffnInp = g.add(g.rmsNorm(cur, l.attnPostNorm()), inpSA);
            cur = g.swiglu(ffnInp, l.ffnUp(), l.ffnGate(), l.ffnDown());
            inpL = g.add(g.rmsNorm(cur, l.ffnPostNorm()), ffnInp);
        }
        return g.outputHead(inpL, w.outputNorm(), w.output(), null);
    }
}
