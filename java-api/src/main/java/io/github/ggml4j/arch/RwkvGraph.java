package io.github.ggml4j.arch;

import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.memory.GraphInputs;
import io.github.ggml4j.memory.StateStore;
import io.github.ggml4j.nativ.Tensors;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * What RWKV-6 and RWKV-7 share, over the {@link GraphBuilder}: the block loop (layer norms, token shift loaded
 * from and stored into the recurrent state, residuals, output selection, output head), the WKV state's load
 * and store around the WKV op, and the group norm after it. A recipe supplies only its time mix and channel
 * mix. Activations are [n_embd, n_seq_tokens, n_seqs]: every sequence of a step brings the same token count.
 */
final class RwkvGraph {

    /** Group norm epsilon after the WKV op, as llama.cpp's RWKV graphs use. */
    static final float GROUP_NORM_EPS = 64e-5f;

    /** One block's layer norms (weight and bias of each). */
    record Norms(MemorySegment attn, MemorySegment attnB, MemorySegment ffn, MemorySegment ffnB) {
    }

    /** Binds block {@code il}'s two layer norms. */
    static Norms norms(WeightSource w, int il, long nEmbd) {
        return new Norms(w.require(Rwkv6Recipe.blk(il, "attn_norm.weight"), WeightUse.MUL, il, nEmbd),
                w.require(Rwkv6Recipe.blk(il, "attn_norm.bias"), WeightUse.ADD, il, nEmbd),
                w.require(Rwkv6Recipe.blk(il, "attn_norm_2.weight"), WeightUse.MUL, il, nEmbd),
                w.require(Rwkv6Recipe.blk(il, "attn_norm_2.bias"), WeightUse.ADD, il, nEmbd));
    }

    /** The two halves of an RWKV block. */
    interface Block {
        /** Time mix of {@code x} ([n_embd, n_seq_tokens, n_seqs], normalized) with its previous tokens. */
        MemorySegment timeMix(RwkvGraph r, int il, MemorySegment x, MemorySegment xPrev);

        /** Channel mix of {@code x} ([n_embd, rows]) with its previous tokens. */
        MemorySegment channelMix(RwkvGraph r, int il, MemorySegment x, MemorySegment xPrev);
    }

    final GraphBuilder g;
    final MemorySegment ctx;
    final HParams hp;
    final RwkvParams rp;
    final int nEmbd;
    final int nTokens;
    final int nSeqs;
    final int nSeqTokens;
    final int headSize;
    final int nHead;
    private final StateStore store;
    private final GraphInputs inputs;

    RwkvGraph(GraphBuilder g) {
        this.g = g;
        this.ctx = g.ctx();
        this.hp = g.hparams();
        this.rp = hp.rwkv();
        this.store = g.stateStore();
        this.inputs = g.memoryInputs();
        this.nEmbd = hp.nEmbd();
        this.nTokens = g.shape().nTokens();
        this.nSeqs = store.sequences(inputs);
        this.nSeqTokens = nTokens / nSeqs;
        this.headSize = rp.headSize();
        this.nHead = nEmbd / headSize;
    }

    /** The forward pass: embeddings, layer norm 0, the blocks, the output norm and head. */
    MemorySegment forward(Block block, MemorySegment tokEmbd, MemorySegment tokNorm, MemorySegment tokNormB,
                          List<Norms> norms, MemorySegment outNorm, MemorySegment outNormB, MemorySegment output,
                          int rescaleEvery) {
        float eps = rp.normEps();
        MemorySegment inpL = g.layerNorm(g.inputEmbeddings(tokEmbd), tokNorm, tokNormB, eps);
        int nLayer = hp.nLayer();
        for (int il = 0; il < nLayer; il++) {
            Norms n = norms.get(il);
            inpL = reshape3(inpL);
            MemorySegment shift = GgmlLib.ggml_reshape_3d(ctx, store.load(ctx, inputs, il, StateStore.Part.SHIFT),
                    nEmbd, rp.tokenShiftCount(), nSeqs); // [n_embd, 2, n_seqs]
            MemorySegment attNorm = g.layerNorm(inpL, n.attn(), n.attnB(), eps);
            MemorySegment cur = block.timeMix(this, il, attNorm, previous(shift, 0, attNorm));
            MemorySegment ffnInp = GgmlLib.ggml_add(ctx, cur, inpL);
            MemorySegment ffnNorm = g.layerNorm(ffnInp, n.ffn(), n.ffnB(), eps);
            MemorySegment xPrev = previous(shift, 1, ffnNorm);
            // the last token of each sequence is the next step's shift: [n_embd, 2, n_seqs]
            MemorySegment newShift = GgmlLib.ggml_concat(ctx, lastToken(attNorm), lastToken(ffnNorm), 1);
            g.expand(store.store(ctx, inputs, il, StateStore.Part.SHIFT,
                    GgmlLib.ggml_reshape_2d(ctx, newShift, rp.shiftFloats(nEmbd), nSeqs)));

            ffnInp = GgmlLib.ggml_reshape_2d(ctx, ffnInp, nEmbd, nTokens);
            ffnNorm = GgmlLib.ggml_reshape_2d(ctx, ffnNorm, nEmbd, nTokens);
            xPrev = GgmlLib.ggml_reshape_2d(ctx, xPrev, nEmbd, nTokens);
            if (il == nLayer - 1) {
                ffnInp = g.selectOutputs(ffnInp);
                ffnNorm = g.selectOutputs(ffnNorm);
                xPrev = g.selectOutputs(xPrev);
            }
            cur = GgmlLib.ggml_add(ctx, block.channelMix(this, il, ffnNorm, xPrev), ffnInp);
            if (rescaleEvery != 0 && (il + 1) % rescaleEvery == 0) {
                cur = GgmlLib.ggml_scale(ctx, cur, 0.5f);
            }
            inpL = cur;
        }
        return g.linear(output, g.layerNorm(inpL, outNorm, outNormB, eps), null);
    }

    MemorySegment reshape3(MemorySegment x) {
        return GgmlLib.ggml_reshape_3d(ctx, x, nEmbd, nSeqTokens, nSeqs);
    }

    /** Each token's predecessor: the stored shift {@code part} for the first token, then x's own tokens. */
    private MemorySegment previous(MemorySegment shift, int part, MemorySegment x) {
        MemorySegment s = GgmlLib.ggml_view_3d(ctx, shift, nEmbd, 1, nSeqs, Tensors.nb(shift, 1), Tensors.nb(shift, 2),
                (long) part * nEmbd * 4);
        MemorySegment head = GgmlLib.ggml_view_3d(ctx, x, nEmbd, nSeqTokens - 1, nSeqs, Tensors.nb(x, 1),
                Tensors.nb(x, 2), 0);
        return GgmlLib.ggml_concat(ctx, s, head, 1);
    }

    private MemorySegment lastToken(MemorySegment x) {
        return GgmlLib.ggml_view_3d(ctx, x, nEmbd, 1, nSeqs, Tensors.nb(x, 1), Tensors.nb(x, 2),
                (long) (nSeqTokens - 1) * nEmbd * 4);
    }

    /**
     * Runs {@code wkv} (a function of this layer's loaded WKV state, [n_embd·head, n_seqs]) and stores the new
     * state it returns after its output rows; returns the output [n_embd, n_tokens].
     */
    MemorySegment wkv(int il, java.util.function.UnaryOperator<MemorySegment> wkv) {
        MemorySegment state = store.load(ctx, inputs, il, StateStore.Part.WKV);
        MemorySegment out = wkv.apply(state);
        MemorySegment cur = GgmlLib.ggml_view_1d(ctx, out, (long) nEmbd * nTokens, 0);
        MemorySegment next = GgmlLib.ggml_view_1d(ctx, out, rp.wkvFloats(nEmbd) * nSeqs, (long) nEmbd * nTokens * 4);
        g.expand(store.store(ctx, inputs, il, StateStore.Part.WKV,
                GgmlLib.ggml_reshape_2d(ctx, next, rp.wkvFloats(nEmbd), nSeqs)));
        return GgmlLib.ggml_reshape_2d(ctx, cur, nEmbd, nTokens);
    }

    /** Group norm with one group per head, then {@code · weight + bias}: [n_embd, n_tokens]. */
    MemorySegment groupNorm(MemorySegment x, MemorySegment weight, MemorySegment bias) {
        MemorySegment cur = GgmlLib.ggml_reshape_3d(ctx, x, headSize, nHead, nTokens);
        cur = GgmlLib.ggml_norm(ctx, cur, GROUP_NORM_EPS);
        cur = GgmlLib.ggml_reshape_2d(ctx, cur, nEmbd, nTokens);
        return GgmlLib.ggml_add(ctx, GgmlLib.ggml_mul(ctx, cur, weight), bias);
    }

    /** [n_embd, n_tokens] as [head_size, n_head, n_tokens]. */
    MemorySegment heads(MemorySegment x) {
        return GgmlLib.ggml_reshape_3d(ctx, x, headSize, nHead, nTokens);
    }

    /** Row {@code i} of {@code n} stacked [n_embd, n_tokens] blocks of {@code x} (fused lerp outputs). */
    MemorySegment part(MemorySegment x, int i) {
        return GgmlLib.ggml_view_2d(ctx, x, nEmbd, nTokens, Tensors.nb(x, 1), (long) i * nEmbd * nTokens * 4);
    }

    /** {@code (x_prev - x) · mix + x}, the token-shift interpolation. */
    MemorySegment lerp(MemorySegment sx, MemorySegment mix, MemorySegment x) {
        return GgmlLib.ggml_add(ctx, GgmlLib.ggml_mul(ctx, sx, mix), x);
    }

    MemorySegment mm(MemorySegment w, MemorySegment x) {
        return GgmlLib.ggml_mul_mat(ctx, w, x);
    }

    /** relu(key · x)² — the channel mix's key. */
    MemorySegment sqrRelu(MemorySegment key, MemorySegment x) {
        return GgmlLib.ggml_sqr(ctx, GgmlLib.ggml_relu(ctx, mm(key, x)));
    }
}
