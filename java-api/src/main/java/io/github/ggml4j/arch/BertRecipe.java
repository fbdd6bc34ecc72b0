package io.github.ggml4j.arch;

import io.github.ggml4j.model.Pooling;
import io.github.ggml4j.GgufFormatException;
import io.github.ggml4j.ModelException;
import io.github.ggml4j.gguf.GgufMetadata;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.memory.EncoderMemory;
import io.github.ggml4j.memory.Memory;
import io.github.ggml4j.memory.MemorySpec;
import io.github.ggml4j.nativ.Tensors;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * BERT ({@code bert}, Devlin et al. 2019), the encoder behind most sentence-embedding and reranking models
 * (BGE, MiniLM, E5, ms-marco cross-encoders): token + token-type + learned position embeddings and a
 * LayerNorm, then post-norm blocks of bidirectional self-attention → residual → LayerNorm → GELU FFN →
 * residual → LayerNorm. The hidden states are pooled per input (mean, CLS, last) as the file says, and a
 * reranker's CLS state goes through its classification head. nomic-bert is the same block with rotary
 * positions and a SwiGLU FFN, and extends this class.
 *
 * {@snippet :
 * try (Model bge = Model.load(Path.of("bge-small-en-v1.5-f16.gguf"))) {
 *     float[][] v = bge.embed(List.of("a sentence", "another one")); // L2-normalised
 * }
 * }
 */
public class BertRecipe implements Recipe<BertRecipe.Weights> {

    /** One block's weights; Q/K/V are fused ({@code wqkv}) or separate, biases may be absent. */
    public record Layer(MemorySegment wqkv, MemorySegment bqkv, MemorySegment wq, MemorySegment bq,
                        MemorySegment wk, MemorySegment bk, MemorySegment wv, MemorySegment bv,
                        MemorySegment wo, MemorySegment bo, MemorySegment attnOutNorm, MemorySegment attnOutNormB,
                        MemorySegment ffnUp, MemorySegment ffnUpB, MemorySegment ffnGate, MemorySegment ffnDown,
                        MemorySegment ffnDownB, MemorySegment layerOutNorm, MemorySegment layerOutNormB,
                        MemorySegment qNorm, MemorySegment qNormB, MemorySegment kNorm, MemorySegment kNormB,
                        MemorySegment attnNorm2, MemorySegment attnNorm2B) {
    }

    /**
     * The model's weights.
     *
     * @param typeEmbd token-type embeddings [n_embd, n_token_types] (row 0 is added: "sentence A"), or null
     * @param posEmbd  learned positions [n_embd, n_ctx_train], or null (rotary models)
     * @param cls      the classification head's dense layer [n_embd, n_embd] (rerankers), or null
     * @param clsOut   the head's output layer [n_embd, n_cls_out], or null
     */
    public record Weights(MemorySegment tokEmbd, MemorySegment typeEmbd, MemorySegment posEmbd,
                          MemorySegment tokNorm, MemorySegment tokNormB, List<Layer> layers,
                          MemorySegment cls, MemorySegment clsB, MemorySegment clsOut, MemorySegment clsOutB) {

        public Weights {
            layers = List.copyOf(layers);
        }
    }

    @Override
    public String name() {
        return "bert";
    }

    /** The RoPE mode of the variants with rotary positions (BERT itself has none). */
    protected int ropeType() {
        return HParams.ROPE_NEOX;
    }

    /** Whether positions are learned embeddings (BERT) rather than rotary (nomic-bert). */
    protected boolean learnedPositions() {
        return true;
    }

    /** Whether Q and K are rotated (nomic-bert); neither BERT's learned positions nor ALiBi rotate them. */
    protected boolean rotary() {
        return !learnedPositions();
    }

    /** Whether the FFN is gated (SwiGLU, nomic-bert) rather than GELU with biases (BERT). */
    protected boolean gatedFfn() {
        return false;
    }

    /**
     * Whether a file may carry jina-bert-v2's optional pieces: LayerNorms on Q and K, a second attention norm,
     * and a GELU gate (a separate {@code ffn_gate}, or fused into {@code ffn_up} as its first half).
     */
    protected boolean optionalPieces() {
        return false;
    }

    /** Rows of the classification head's dense layer {@code cls} (n_embd; 1 where it is the whole head). */
    protected long clsRows(HParams hp) {
        return hp.nEmbd();
    }

    @Override
    public HParams hparams(GgufMetadata md) {
        HParamsReader r = new HParamsReader(md, name());
        HParams hp = r.read(ropeType(), 0, Gpt2Recipe.LAYER_NORM_EPS);
        try {
            Pooling pooling = Pooling.fromCode(md.optInt(name() + ".pooling_type").orElse(-1));
            List<String> labels = md.optArray(name() + ".classifier.output_labels")
                    .map(a -> a.strings()).orElse(List.of());
            int nTypes = md.optInt("tokenizer.ggml.token_type_count").orElse(0);
            if (nTypes == 0) {
                throw new ModelException(name() + " needs tokenizer.ggml.token_type_count (the token-type count)");
            }
            return hp.withEncoder(new EncoderParams(pooling, labels.isEmpty() ? 1 : labels.size(), labels, nTypes));
        } catch (GgufFormatException e) {
            throw new ModelException(name() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean causal() {
        return false;
    }

    @Override
    public OutputKind output(HParams hp) {
        return hp.encoder().pooling() == Pooling.NONE ? OutputKind.TOKEN_EMBEDDINGS : OutputKind.POOLED_EMBEDDINGS;
    }

    @Override
    public int maxPositions(HParams hp) {
        return learnedPositions() ? hp.nCtxTrain() : Integer.MAX_VALUE;
    }

    @Override
    public Memory newMemory(MemorySpec spec) {
        return new EncoderMemory(spec);
    }

    @Override
    public long memoryBytes(MemorySpec spec) {
        return EncoderMemory.bytes(spec);
    }

    @Override
    public Weights bind(WeightSource w, HParams hp) {
        if (hp.nEmbdHeadK() != hp.nEmbdHeadV()) {
            throw new ModelException(name() + ": key and value heads differ (" + hp.nEmbdHeadK() + ", "
                    + hp.nEmbdHeadV() + ")");
        }
        long nEmbd = hp.nEmbd();
        long nQ = hp.nEmbdQ();
        long nKv = hp.nEmbdKGqa();
        long nFf = hp.nFf();
        int in = WeightSource.INPUT;
        int out = WeightSource.OUTPUT;
        MemorySegment tokEmbd = w.require("token_embd.weight", WeightUse.GET_ROWS, in, nEmbd, hp.nVocab());
        MemorySegment typeEmbd = w.optional("token_types.weight", WeightUse.ADD, in, nEmbd,
                hp.encoder().nTokenTypes());
        MemorySegment posEmbd = learnedPositions()
                ? w.require("position_embd.weight", WeightUse.GET_ROWS, in, nEmbd, hp.nCtxTrain()) : null;
        MemorySegment tokNorm = w.require("token_embd_norm.weight", WeightUse.MUL, in, nEmbd);
        MemorySegment tokNormB = w.require("token_embd_norm.bias", WeightUse.ADD, in, nEmbd);
        Layer[] layers = new Layer[hp.nLayer()];
        for (int il = 0; il < hp.nLayer(); il++) {
            boolean fused = w.has(LlamaRecipe.blk(il, "attn_qkv.weight"));
            String up = LlamaRecipe.blk(il, "ffn_up.weight");
            boolean separateGate = optionalPieces() && w.has(LlamaRecipe.blk(il, "ffn_gate.weight"));
            // jina's up projection with the gate fused in is [n_embd, 2·n_ff]
            long nUp = optionalPieces() && !separateGate && w.shapeOf(up).map(d -> d.length > 1 ? d[1] : 1L).orElse(0L) == 2 * nFf ? 2 * nFf : nFf;
            layers[il] = new Layer(
                    fused ? w.require(LlamaRecipe.blk(il, "attn_qkv.weight"), WeightUse.MUL_MAT, il, nEmbd,
                            nQ + 2 * nKv) : null,
                    fused ? w.optional(LlamaRecipe.blk(il, "attn_qkv.bias"), WeightUse.ADD, il, nQ + 2 * nKv) : null,
                    fused ? null : w.require(LlamaRecipe.blk(il, "attn_q.weight"), WeightUse.MUL_MAT, il, nEmbd, nQ),
                    fused ? null : w.optional(LlamaRecipe.blk(il, "attn_q.bias"), WeightUse.ADD, il, nQ),
                    fused ? null : w.require(LlamaRecipe.blk(il, "attn_k.weight"), WeightUse.MUL_MAT, il, nEmbd, nKv),
                    fused ? null : w.optional(LlamaRecipe.blk(il, "attn_k.bias"), WeightUse.ADD, il, nKv),
                    fused ? null : w.require(LlamaRecipe.blk(il, "attn_v.weight"), WeightUse.MUL_MAT, il, nEmbd, nKv),
                    fused ? null : w.optional(LlamaRecipe.blk(il, "attn_v.bias"), WeightUse.ADD, il, nKv),
                    w.require(LlamaRecipe.blk(il, "attn_output.weight"), WeightUse.MUL_MAT, il, nQ, nEmbd),
                    w.optional(LlamaRecipe.blk(il, "attn_output.bias"), WeightUse.ADD, il, nEmbd),
                    w.require(LlamaRecipe.blk(il, "attn_output_norm.weight"), WeightUse.MUL, il, nEmbd),
                    w.require(LlamaRecipe.blk(il, "attn_output_norm.bias"), WeightUse.ADD, il, nEmbd),
                    w.require(up, WeightUse.MUL_MAT, il, nEmbd, nUp),
                    w.optional(LlamaRecipe.blk(il, "ffn_up.bias"), WeightUse.ADD, il, nUp),
                    gatedFfn() || separateGate
                            ? w.require(LlamaRecipe.blk(il, "ffn_gate.weight"), WeightUse.MUL_MAT, il, nEmbd, nFf)
                            : null,
                    w.require(LlamaRecipe.blk(il, "ffn_down.weight"), WeightUse.MUL_MAT, il, nFf, nEmbd),
                    w.optional(LlamaRecipe.blk(il, "ffn_down.bias"), WeightUse.ADD, il, nEmbd),
                    w.require(LlamaRecipe.blk(il, "layer_output_norm.weight"), WeightUse.MUL, il, nEmbd),
                    w.require(LlamaRecipe.blk(il, "layer_output_norm.bias"), WeightUse.ADD, il, nEmbd),
                    optionalNorm(w, il, "attn_q_norm.weight", nQ), optionalNorm(w, il, "attn_q_norm.bias", nQ),
                    optionalNorm(w, il, "attn_k_norm.weight", nKv), optionalNorm(w, il, "attn_k_norm.bias", nKv),
                    optionalNorm(w, il, "attn_norm_2.weight", nEmbd), optionalNorm(w, il, "attn_norm_2.bias", nEmbd));
        }
        int nClsOut = hp.encoder().nClsOut();
        return new Weights(tokEmbd, typeEmbd, posEmbd, tokNorm, tokNormB, List.of(layers),
                w.optional("cls.weight", WeightUse.MUL_MAT, out, nEmbd, clsRows(hp)),
                w.optional("cls.bias", WeightUse.ADD, out, clsRows(hp)),
                w.optional("cls.output.weight", WeightUse.MUL_MAT, out, nEmbd, nClsOut),
                w.optional("cls.output.bias", WeightUse.ADD, out, nClsOut));
    }

    private MemorySegment optionalNorm(WeightSource w, int il, String name, long n) {
        return optionalPieces() ? w.optional(LlamaRecipe.blk(il, name), name.endsWith("bias") ? WeightUse.ADD
                : WeightUse.MUL, il, n) : null;
    }

    @Override
    public MemorySegment build(GraphBuilder g, Weights w) {
        HParams hp = g.hparams();
        int nLayer = hp.nLayer();
        int head = hp.nEmbdHeadK();
        int n = g.shape().nTokens();
        Pooling pooling = hp.encoder().pooling();

        MemorySegment inpL = g.inputEmbeddings(w.tokEmbd()); // [n_embd, n_tokens]
        if (w.typeEmbd() != null) {
            // every token is of type 0 ("sentence A"), as llama.cpp has it
            inpL = g.add(inpL, GgmlLib.ggml_view_1d(g.ctx(), w.typeEmbd(), hp.nEmbd(), 0));
        }
        if (w.posEmbd() != null) {
            inpL = g.add(g.positionEmbeddings(w.posEmbd()), inpL);
        }
        inpL = g.layerNorm(inpL, w.tokNorm(), w.tokNormB());

        for (int il = 0; il < nLayer; il++) {
            Layer l = w.layers().get(il);
            MemorySegment q;
            MemorySegment k;
            MemorySegment v;
            if (l.wqkv() != null) {
                GraphBuilder.Qkv qkv = g.fusedQkv(inpL, l.wqkv(), l.bqkv()); // each [head_dim, n_head*, n_tokens]
                q = qkv.q();
                k = qkv.k();
                v = qkv.v();
            } else {
                q = g.reshape3d(g.linear(l.wq(), inpL, l.bq()), head, hp.nHead(), n);
                k = g.reshape3d(g.linear(l.wk(), inpL, l.bk()), head, hp.nHeadKv(), n);
                v = g.reshape3d(g.linear(l.wv(), inpL, l.bv()), head, hp.nHeadKv(), n);
            }
            if (l.qNorm() != null) {
                q = headsNorm(g, q, l.qNorm(), l.qNormB(), hp.nHead(), n); // over all heads of a token at once
            }
            if (l.kNorm() != null) {
                k = headsNorm(g, k, l.kNorm(), l.kNormB(), hp.nHeadKv(), n);
            }
            if (rotary()) {
                q = g.rope(q, null);
                k = g.rope(k, null);
            }
            MemorySegment cur = g.attention(il, q, k, v, l.wo(), l.bo()); // [n_embd, n_tokens]
            if (il == nLayer - 1 && pooling == Pooling.NONE) {
                cur = g.selectOutputs(cur);   // [n_embd, n_outputs]
                inpL = g.selectOutputs(inpL);
            }
            cur = g.layerNorm(g.add(cur, inpL), l.attnOutNorm(), l.attnOutNormB()); // post-norm
            if (l.attnNorm2() != null) {
                cur = g.layerNorm(g.add(cur, inpL), l.attnNorm2(), l.attnNorm2B()); // the input re-added
            }
            MemorySegment ffnInp = cur;
            cur = ffn(g, l, cur);
            inpL = g.layerNorm(g.add(cur, ffnInp), l.layerOutNorm(), l.layerOutNormB());
        }
        if (pooling == Pooling.NONE) {
            return inpL; // [n_embd, n_outputs]
        }
        MemorySegment cur = g.pool(inpL, pooling); // [n_embd, n_outputs]
        if (pooling == Pooling.RANK) {
            if (w.cls() != null) {
                cur = g.tanh(g.linear(w.cls(), cur, w.clsB()));
            }
            if (w.clsOut() != null) {
                cur = g.linear(w.clsOut(), cur, w.clsOutB()); // [n_cls_out, n_outputs]
            }
        }
        return cur;
    }

    /** LayerNorm of [head_dim, n_heads, n_tokens] over each token's heads together (jina's Q and K norms). */
    private static MemorySegment headsNorm(GraphBuilder g, MemorySegment x, MemorySegment weight, MemorySegment bias,
                                           int nHeads, int n) {
        int head = g.hparams().nEmbdHeadK();
        MemorySegment c = GgmlLib.ggml_is_contiguous(x) ? x : GgmlLib.ggml_cont(g.ctx(), x); // a fused QKV's view
        MemorySegment flat = GgmlLib.ggml_reshape_2d(g.ctx(), c, (long) head * nHeads, n);
        return g.reshape3d(g.layerNorm(flat, weight, bias), head, nHeads, n);
    }

    /** The block's FFN: SwiGLU (nomic-bert), GELU-gated (jina, gate separate or fused into up) or GELU. */
    private MemorySegment ffn(GraphBuilder g, Layer l, MemorySegment x) {
        if (gatedFfn()) {
            return g.swiglu(x, l.ffnUp(), l.ffnGate(), l.ffnDown());
        }
        if (l.ffnGate() == null && Tensors.ne(l.ffnUp(), 1) == g.hparams().nFf()) {
            return g.geluFfn(x, l.ffnUp(), l.ffnUpB(), l.ffnDown(), l.ffnDownB());
        }
        MemorySegment up = g.linear(l.ffnUp(), x, l.ffnUpB()); // [n_ff or 2·n_ff, n_tokens]
        MemorySegment h = l.ffnGate() != null
                ? GgmlLib.ggml_geglu_split(g.ctx(), g.linear(l.ffnGate(), x, null), up) // gelu(gate·x) ⊙ up
                : GgmlLib.ggml_geglu(g.ctx(), up);                                     // gelu(first half) ⊙ second
        return g.linear(l.ffnDown(), h, l.ffnDownB()); // [n_embd, n_tokens]
    }
}
