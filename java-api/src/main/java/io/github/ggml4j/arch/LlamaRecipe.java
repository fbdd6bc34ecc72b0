package io.github.ggml4j.arch;

import io.github.ggml4j.gguf.GgufMetadata;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Llama-family decoder (Llama 2/3, TinyLlama, CodeLlama, Mistral without sliding window): pre-norm blocks of
 * RMSNorm → GQA self-attention with RoPE → residual → RMSNorm → SwiGLU FFN → residual; tied output head
 * when {@code output.weight} is absent; optional biases and Llama 3 {@code rope_freqs}.
 */
public class LlamaRecipe implements Recipe<LlamaRecipe.Weights> {

    /** One block's weights; biases and the fused QKV projection are optional. */
    public record Layer(MemorySegment attnNorm, MemorySegment wq, MemorySegment wk, MemorySegment wv,
                        MemorySegment bq, MemorySegment bk, MemorySegment bv, MemorySegment wo, MemorySegment bo,
                        MemorySegment ffnNorm, MemorySegment ffnGate, MemorySegment ffnUp, MemorySegment ffnDown,
                        MemorySegment ropeFreqs) {
    }

    public record Weights(MemorySegment tokEmbd, List<Layer> layers, MemorySegment outputNorm, MemorySegment output,
                          MemorySegment outputBias) {
    }

    @Override
    public String name() {
        return "llama";
    }

    /** Llama rotates adjacent pairs (ggml's normal RoPE mode). */
    protected int ropeType() {
        return HParams.ROPE_NORMAL;
    }

    @Override
    public HParams hparams(GgufMetadata metadata) {
        return new HParamsReader(metadata, name()).read(ropeType(), 0);
    }

    static String blk(int il, String what) {
        return "blk." + il + "." + what;
    }

    @Override
    public Weights bind(WeightSource w, HParams hp) {
        long nEmbd = hp.nEmbd();
        long nVocab = hp.nVocab();
        MemorySegment tokEmbd = w.require("token_embd.weight", WeightUse.GET_ROWS, WeightSource.INPUT, nEmbd, nVocab);
        MemorySegment outputNorm = w.require("output_norm.weight", WeightUse.MUL, WeightSource.OUTPUT, nEmbd);
        MemorySegment output = w.requireOrTie("output.weight", "token_embd.weight", WeightUse.MUL_MAT,
                WeightSource.OUTPUT, nEmbd, nVocab);
        MemorySegment outputBias = w.optional("output.bias", WeightUse.ADD, WeightSource.OUTPUT, nVocab);
        Layer[] layers = new Layer[hp.nLayer()];
        for (int il = 0; il < hp.nLayer(); il++) {
            layers[il] = bindLayer(w, hp, il);
        }
        return new Weights(tokEmbd, List.of(layers), outputNorm, output, outputBias);
    }

    protected Layer bindLayer(WeightSource w, HParams hp, int il) {
        long nEmbd = hp.nEmbd();
        long nQ = hp.nEmbdQ();
        long nK = hp.nEmbdKGqa();
        long nV = hp.nEmbdVGqa();
        long nFf = hp.nFf();
        // Llama 3 stores one rope_freqs for all layers; older conversions repeat it per layer
        MemorySegment ropeFreqs = w.has(blk(il, "rope_freqs.weight"))
                ? w.optional(blk(il, "rope_freqs.weight"), WeightUse.ROPE, il, hp.nRot() / 2)
                : w.optional("rope_freqs.weight", WeightUse.ROPE, il, hp.nRot() / 2);
        return new Layer(
                w.require(blk(il, "attn_norm.weight"), WeightUse.MUL, il, nEmbd),
                w.require(blk(il, "attn_q.weight"), WeightUse.MUL_MAT, il, nEmbd, nQ),
                w.require(blk(il, "attn_k.weight"), WeightUse.MUL_MAT, il, nEmbd, nK),
                w.require(blk(il, "attn_v.weight"), WeightUse.MUL_MAT, il, nEmbd, nV),
                w.optional(blk(il, "attn_q.bias"), WeightUse.ADD, il, nQ),
                w.optional(blk(il, "attn_k.bias"), WeightUse.ADD, il, nK),
                w.optional(blk(il, "attn_v.bias"), WeightUse.ADD, il, nV),
                w.require(blk(il, "attn_output.weight"), WeightUse.MUL_MAT, il, nQ, nEmbd),
                w.optional(blk(il, "attn_output.bias"), WeightUse.ADD, il, nEmbd),
                w.require(blk(il, "ffn_norm.weight"), WeightUse.MUL, il, nEmbd),
                w.require(blk(il, "ffn_gate.weight"), WeightUse.MUL_MAT, il, nEmbd, nFf),
                w.require(blk(il, "ffn_up.weight"), WeightUse.MUL_MAT, il, nEmbd, nFf),
                w.require(blk(il, "ffn_down.weight"), WeightUse.MUL_MAT, il, nFf, nEmbd),
                ropeFreqs);
    }

    @Override
    public MemorySegment build(GraphBuilder g, Weights w) {
        HParams hp = g.hparams();
        int nTokens = g.shape().nTokens();
        int nLayer = hp.nLayer();

        MemorySegment inpL = g.inputEmbeddings(w.tokEmbd()); // [n_embd, n_tokens]
        for (int il = 0; il < nLayer; il++) {
            Layer l = w.layers().get(il);
            MemorySegment inpSA = inpL;

            MemorySegment cur = g.rmsNorm(inpL, l.attnNorm());
            MemorySegment q = g.linear(l.wq(), cur, l.bq()); // [n_embd_q, n_tokens]
            MemorySegment k = g.linear(l.wk(), cur, l.bk()); // [n_embd_k_gqa, n_tokens]
            MemorySegment v = g.linear(l.wv(), cur, l.bv()); // [n_embd_v_gqa, n_tokens]
            q = g.reshape3d(q, hp.nEmbdHeadK(), hp.nHead(), nTokens);   // [head_dim, n_head, n_tokens]
            k = g.reshape3d(k, hp.nEmbdHeadK(), hp.nHeadKv(), nTokens); // [head_dim, n_head_kv, n_tokens]
            v = g.reshape3d(v, hp.nEmbdHeadV(), hp.nHeadKv(), nTokens);
            q = g.rope(q, l.ropeFreqs());
            k = g.rope(k, l.ropeFreqs());
            cur = g.attention(il, q, k, v, l.wo(), l.bo()); // [n_embd, n_tokens]

            if (il == nLayer - 1) {
                // only the rows whose logits are wanted go on from here: [n_embd, n_outputs]
                cur = g.selectOutputs(cur);
                inpSA = g.selectOutputs(inpSA);
            }
            MemorySegment ffnInp = g.add(cur, inpSA);

            cur = g.rmsNorm(ffnInp, l.ffnNorm());
            cur = g.swiglu(cur, l.ffnUp(), l.ffnGate(), l.ffnDown());
            inpL = g.add(cur, ffnInp);
        }
        return g.outputHead(inpL, w.outputNorm(), w.output(), w.outputBias()); // [n_vocab, n_outputs]
    }
}
