package io.github.ggml4j.arch;

import io.github.ggml4j.GgufFormatException;
import io.github.ggml4j.ModelException;
import io.github.ggml4j.gguf.GgufMetadata;
import io.github.ggml4j.memory.EncoderMemory;
import io.github.ggml4j.memory.Memory;
import io.github.ggml4j.memory.MemorySpec;
import io.github.ggml4j.model.Pooling;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The encoder of T5 ({@code t5encoder}, Raffel et al. 2020; the text encoders of Flux and SD3 are such files):
 * pre-norm blocks of RMSNorm → bidirectional self-attention with a learned bias per relative-position bucket
 * and head (from the first block when a block has none), unscaled scores → residual → RMSNorm → ReLU FFN (T5) or
 * GELU-gated FFN (flan-T5, when {@code ffn_gate} is present) → residual, then a final RMSNorm. No biases
 * anywhere. Its token states are pooled as {@code pooling_type} says (none by default).
 *
 * {@snippet :
 * try (Model enc = Model.load(Path.of("t5-v1_1-xxl-encoder-f16.gguf"))) {
 *     float[][] states = enc.embedTokens("a photo of a cat", false); // one row per token
 * }
 * }
 */
public class T5EncoderRecipe implements Recipe<T5EncoderRecipe.Weights> {

    /** One encoder block; {@code relB} [n_head, n_buckets] may be null (the first block's is used). */
    public record Layer(MemorySegment attnNorm, MemorySegment relB, MemorySegment wq, MemorySegment wk,
                        MemorySegment wv, MemorySegment wo, MemorySegment ffnNorm, MemorySegment ffnGate,
                        MemorySegment ffnUp, MemorySegment ffnDown) {
    }

    /** The encoder's weights: token embeddings, blocks, the final norm. */
    public record Weights(MemorySegment tokEmbd, List<Layer> layers, MemorySegment outputNorm) {

        public Weights {
            layers = List.copyOf(layers);
        }
    }

    @Override
    public String name() {
        return "t5encoder";
    }

    @Override
    public HParams hparams(GgufMetadata md) {
        HParams hp = new HParamsReader(md, name()).read(HParams.ROPE_NORMAL, 0);
        try {
            Pooling pooling = Pooling.fromCode(md.optInt(name() + ".pooling_type").orElse(0));
            if (pooling == Pooling.RANK) {
                throw new ModelException(name() + " has no classification head for pooling rank");
            }
            return hp.withEncoder(new EncoderParams(pooling, 1, List.of(), 0, relativeBuckets(md)));
        } catch (GgufFormatException e) {
            throw new ModelException(name() + ": " + e.getMessage(), e);
        }
    }

    /** {@code <arch>.attention.relative_buckets_count}: positive and even (half of them for each direction). */
    protected int relativeBuckets(GgufMetadata md) {
        int n = md.getInt(name() + ".attention.relative_buckets_count");
        if (n < 2 || n % 2 != 0 || n > 1 << 16) {
            throw new ModelException(name() + ": relative_buckets_count " + n + " must be even and in 2..65536");
        }
        return n;
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
    public Memory newMemory(MemorySpec spec) {
        return new EncoderMemory(spec);
    }

    @Override
    public long memoryBytes(MemorySpec spec) {
        return EncoderMemory.bytes(spec);
    }

    /** Binds the blocks {@code <prefix>.blk.N.*} and the final norm {@code <prefix>.output_norm}. */
    static List<Layer> bindEncoderLayers(WeightSource w, HParams hp, int nLayer, int nBuckets, boolean ownLayers) {
        Layer[] layers = new Layer[nLayer];
        for (int il = 0; il < nLayer; il++) {
            layers[il] = bindLayer(w, hp, "enc.blk." + il + ".", ownLayers ? il : WeightSource.INPUT, nBuckets);
        }
        if (layers[0].relB() == null) {
            throw new ModelException("T5 encoder: the first block has no relative position bias (enc.blk.0.attn_rel_b)");
        }
        return List.of(layers);
    }

    static Layer bindLayer(WeightSource w, HParams hp, String p, int il, int nBuckets) {
        long nEmbd = hp.nEmbd();
        long nQ = hp.nEmbdQ();
        long nKv = hp.nEmbdKGqa();
        long nFf = hp.nFf();
        return new Layer(
                w.require(p + "attn_norm.weight", WeightUse.MUL, il, nEmbd),
                w.optional(p + "attn_rel_b.weight", WeightUse.GET_ROWS, il, hp.nHead(), nBuckets),
                w.require(p + "attn_q.weight", WeightUse.MUL_MAT, il, nEmbd, nQ),
                w.require(p + "attn_k.weight", WeightUse.MUL_MAT, il, nEmbd, nKv),
                w.require(p + "attn_v.weight", WeightUse.MUL_MAT, il, nEmbd, hp.nEmbdVGqa()),
                w.require(p + "attn_o.weight", WeightUse.MUL_MAT, il, (long) hp.nEmbdHeadV() * hp.nHead(), nEmbd),
                w.require(p + "ffn_norm.weight", WeightUse.MUL, il, nEmbd),
                w.optional(p + "ffn_gate.weight", WeightUse.MUL_MAT, il, nEmbd, nFf),
                w.require(p + "ffn_up.weight", WeightUse.MUL_MAT, il, nEmbd, nFf),
                w.require(p + "ffn_down.weight", WeightUse.MUL_MAT, il, nFf, nEmbd));
    }

    @Override
    public Weights bind(WeightSource w, HParams hp) {
        int nBuckets = hp.encoder().relativeBuckets();
        return new Weights(w.require("token_embd.weight", WeightUse.GET_ROWS, WeightSource.INPUT, hp.nEmbd(), hp.nVocab()),
                bindEncoderLayers(w, hp, hp.nLayer(), nBuckets, true),
                w.require("enc.output_norm.weight", WeightUse.MUL, WeightSource.OUTPUT, hp.nEmbd()));
    }

    /** The FFN of a block: GELU-gated when it has a gate (flan-T5), else ReLU (T5). */
    static MemorySegment ffn(GraphBuilder g, Layer l, MemorySegment x) {
        return l.ffnGate() != null ? g.gegluFfn(x, l.ffnUp(), l.ffnGate(), l.ffnDown()) : g.reluFfn(x, l.ffnUp(), l.ffnDown());
    }

    /**
     * The encoder stack over the batch's tokens, with the final norm: [n_embd, n_tokens], or [n_embd, n_outputs]
     * when {@code selectOutputs} (the last block keeps only the output rows, as llama.cpp does).
     */
    static MemorySegment encode(GraphBuilder g, MemorySegment tokEmbd, List<Layer> layers, MemorySegment outputNorm,
                                boolean selectOutputs) {
        HParams hp = g.hparams();
        int n = g.shape().nTokens();
        MemorySegment inpL = g.inputEmbeddings(tokEmbd); // [n_embd, n_tokens]
        for (int il = 0; il < layers.size(); il++) {
            Layer l = layers.get(il);
            MemorySegment cur = g.rmsNorm(inpL, l.attnNorm());
            MemorySegment q = g.reshape3d(g.linear(l.wq(), cur, null), hp.nEmbdHeadK(), hp.nHead(), n);
            MemorySegment k = g.reshape3d(g.linear(l.wk(), cur, null), hp.nEmbdHeadK(), hp.nHeadKv(), n);
            MemorySegment v = g.reshape3d(g.linear(l.wv(), cur, null), hp.nEmbdHeadV(), hp.nHeadKv(), n);
            MemorySegment bias = g.relativePositionBias(l.relB() != null ? l.relB() : layers.get(0).relB());
            cur = g.attention(il, q, k, v, l.wo(), null, bias, 1.0f); // [n_embd, n_tokens]
            if (il == layers.size() - 1 && selectOutputs) {
                cur = g.selectOutputs(cur);
                inpL = g.selectOutputs(inpL);
            }
            MemorySegment ffnInp = g.add(cur, inpL);
            inpL = g.add(ffn(g, l, g.rmsNorm(ffnInp, l.ffnNorm())), ffnInp);
        }
        return g.rmsNorm(inpL, outputNorm);
    }

    @Override
    public MemorySegment build(GraphBuilder g, Weights w) {
        Pooling pooling = g.hparams().encoder().pooling();
        MemorySegment cur = encode(g, w.tokEmbd(), w.layers(), w.outputNorm(), pooling == Pooling.NONE);
        return pooling == Pooling.NONE ? cur : g.pool(cur, pooling);
    }
}
