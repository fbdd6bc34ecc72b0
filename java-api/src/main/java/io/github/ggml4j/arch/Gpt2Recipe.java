package io.github.ggml4j.arch;

import io.github.ggml4j.ModelException;
import io.github.ggml4j.gguf.GgufMetadata;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * GPT-2 ({@code gpt2}, Radford et al. 2019): learned absolute position embeddings added to the token
 * embeddings, then pre-norm blocks of LayerNorm → multi-head self-attention from one fused QKV projection →
 * residual → LayerNorm → GELU FFN → residual, biases on every projection and norm, and a final LayerNorm before
 * the (usually tied) output head. MPT and BLOOM are the same block with ALiBi instead of position embeddings
 * and extend this class.
 *
 * {@snippet :
 * Recipe<?> gpt2 = Recipes.forArchitecture("gpt2");
 * HParams hp = gpt2.hparams(file.metadata()); // gpt2.attention.layer_norm_epsilon in hp.rmsEps()
 * }
 */
public class Gpt2Recipe implements Recipe<Gpt2Recipe.Weights> {

    /** One block's weights; every bias may be null where the architecture makes it optional (MPT). */
    public record Layer(MemorySegment attnNorm, MemorySegment attnNormB, MemorySegment wqkv, MemorySegment bqkv,
                        MemorySegment wo, MemorySegment bo, MemorySegment ffnNorm, MemorySegment ffnNormB,
                        MemorySegment ffnUp, MemorySegment ffnUpB, MemorySegment ffnDown, MemorySegment ffnDownB) {
    }

    /**
     * The model's weights.
     *
     * @param posEmbd  learned positions [n_embd, n_ctx_train], or null (ALiBi models)
     * @param tokNorm  LayerNorm right after the embeddings (BLOOM), or null
     */
    public record Weights(MemorySegment tokEmbd, MemorySegment posEmbd, MemorySegment tokNorm, MemorySegment tokNormB,
                          List<Layer> layers, MemorySegment outputNorm, MemorySegment outputNormB,
                          MemorySegment output) {

        public Weights {
            layers = List.copyOf(layers);
        }
    }

    /** How the recipe binds a weight that some of these architectures have and others do not. */
    protected enum Presence { REQUIRED, OPTIONAL, ABSENT }

    static final String LAYER_NORM_EPS = "attention.layer_norm_epsilon";

    @Override
    public String name() {
        return "gpt2";
    }

    @Override
    public HParams hparams(GgufMetadata metadata) {
        // no RoPE: the rope fields are unused (the normal mode over the whole head satisfies their checks)
        return new HParamsReader(metadata, name()).read(HParams.ROPE_NORMAL, 0, LAYER_NORM_EPS);
    }

    /** Learned positions: a sequence holds at most {@code n_ctx_train} of them. */
    @Override
    public int maxPositions(HParams hp) {
        return positions() == Presence.ABSENT ? Integer.MAX_VALUE : hp.nCtxTrain();
    }

    /** Learned position embeddings. */
    protected Presence positions() {
        return Presence.REQUIRED;
    }

    /** The norm after the token embeddings. */
    protected Presence tokenNorm() {
        return Presence.ABSENT;
    }

    /** The biases of the projections and norms. */
    protected Presence biases() {
        return Presence.REQUIRED;
    }

    private static MemorySegment bind(WeightSource w, Presence p, String name, WeightUse use, int layer,
                                      long... shape) {
        return switch (p) {
            case REQUIRED -> w.require(name, use, layer, shape);
            case OPTIONAL -> w.optional(name, use, layer, shape);
            case ABSENT -> null;
        };
    }

    @Override
    public Weights bind(WeightSource w, HParams hp) {
        if (hp.nEmbdHeadK() != hp.nEmbdHeadV() || hp.nEmbdQ() != hp.nEmbd()) {
            throw new ModelException(name() + ": heads must split n_embd " + hp.nEmbd() + " evenly (key width "
                    + hp.nEmbdHeadK() + ", value width " + hp.nEmbdHeadV() + ")");
        }
        long nEmbd = hp.nEmbd();
        long nVocab = hp.nVocab();
        int in = WeightSource.INPUT;
        int out = WeightSource.OUTPUT;
        MemorySegment tokEmbd = w.require("token_embd.weight", WeightUse.GET_ROWS, in, nEmbd, nVocab);
        MemorySegment posEmbd = bind(w, positions(), "position_embd.weight", WeightUse.GET_ROWS, in, nEmbd,
                hp.nCtxTrain());
        MemorySegment tokNorm = bind(w, tokenNorm(), "token_embd_norm.weight", WeightUse.MUL, in, nEmbd);
        MemorySegment tokNormB = bind(w, tokenNorm(), "token_embd_norm.bias", WeightUse.ADD, in, nEmbd);
        MemorySegment outputNorm = w.require("output_norm.weight", WeightUse.MUL, out, nEmbd);
        MemorySegment outputNormB = bind(w, biases(), "output_norm.bias", WeightUse.ADD, out, nEmbd);
        MemorySegment output = w.requireOrTie("output.weight", "token_embd.weight", WeightUse.MUL_MAT, out, nEmbd,
                nVocab);
        long nQkv = hp.nEmbdQ() + 2L * hp.nEmbdKGqa();
        long nFf = hp.nFf();
        Presence b = biases();
        Layer[] layers = new Layer[hp.nLayer()];
        for (int il = 0; il < hp.nLayer(); il++) {
            layers[il] = new Layer(
                    w.require(LlamaRecipe.blk(il, "attn_norm.weight"), WeightUse.MUL, il, nEmbd),
                    bind(w, b, LlamaRecipe.blk(il, "attn_norm.bias"), WeightUse.ADD, il, nEmbd),
                    w.require(LlamaRecipe.blk(il, "attn_qkv.weight"), WeightUse.MUL_MAT, il, nEmbd, nQkv),
                    bind(w, b, LlamaRecipe.blk(il, "attn_qkv.bias"), WeightUse.ADD, il, nQkv),
                    w.require(LlamaRecipe.blk(il, "attn_output.weight"), WeightUse.MUL_MAT, il, nEmbd, nEmbd),
                    bind(w, b, LlamaRecipe.blk(il, "attn_output.bias"), WeightUse.ADD, il, nEmbd),
                    w.require(LlamaRecipe.blk(il, "ffn_norm.weight"), WeightUse.MUL, il, nEmbd),
                    bind(w, b, LlamaRecipe.blk(il, "ffn_norm.bias"), WeightUse.ADD, il, nEmbd),
                    w.require(LlamaRecipe.blk(il, "ffn_up.weight"), WeightUse.MUL_MAT, il, nEmbd, nFf),
                    bind(w, b, LlamaRecipe.blk(il, "ffn_up.bias"), WeightUse.ADD, il, nFf),
                    w.require(LlamaRecipe.blk(il, "ffn_down.weight"), WeightUse.MUL_MAT, il, nFf, nEmbd),
                    bind(w, b, LlamaRecipe.blk(il, "ffn_down.bias"), WeightUse.ADD, il, nEmbd));
        }
        return new Weights(tokEmbd, posEmbd, tokNorm, tokNormB, List.of(layers), outputNorm, outputNormB, output);
    }

    @Override
    public MemorySegment build(GraphBuilder g, Weights w) {
        HParams hp = g.hparams();
        int nLayer = hp.nLayer();

        MemorySegment inpL = g.inputEmbeddings(w.tokEmbd()); // [n_embd, n_tokens]
        if (w.posEmbd() != null) {
            inpL = g.add(inpL, g.positionEmbeddings(w.posEmbd()));
        }
        if (w.tokNorm() != null) {
            inpL = g.layerNorm(inpL, w.tokNorm(), w.tokNormB());
        }
        for (int il = 0; il < nLayer; il++) {
            Layer l = w.layers().get(il);
            MemorySegment cur = g.layerNorm(inpL, l.attnNorm(), l.attnNormB());
            GraphBuilder.Qkv qkv = g.fusedQkv(cur, l.wqkv(), l.bqkv()); // each [head_dim, n_head, n_tokens]
            cur = g.attention(il, qkv.q(), qkv.k(), qkv.v(), l.wo(), l.bo()); // [n_embd, n_tokens]
            if (il == nLayer - 1) {
                // only the rows whose logits are wanted go on from here: [n_embd, n_outputs]
                cur = g.selectOutputs(cur);
                inpL = g.selectOutputs(inpL);
            }
            MemorySegment ffnInp = g.add(cur, inpL);
            cur = g.layerNorm(ffnInp, l.ffnNorm(), l.ffnNormB());
            cur = g.geluFfn(cur, l.ffnUp(), l.ffnUpB(), l.ffnDown(), l.ffnDownB());
            inpL = g.add(cur, ffnInp);
        }
        MemorySegment cur = g.layerNorm(inpL, w.outputNorm(), w.outputNormB());
        return g.linear(w.output(), cur, null); // [n_vocab, n_outputs]
    }
}
