package io.github.ggml4j.train;

import io.github.ggml4j.internal.ggml.GgmlLib;

import java.lang.foreign.MemorySegment;

/**
 * The Llama forward pass as ggml builds it for training: {@code batch} independent sequences of {@code seqLen}
 * tokens, no cache, attention as two plain matrix products with a causal mask and soft-max (every op here has
 * a backward pass in ggml: get_rows, rms_norm, mul, mul_mat, rope, soft_max, swiglu, cont, permute, reshape,
 * add). The result is the logits, {@code [vocab, seqLen·batch]}.
 */
final class LlamaTrainGraph {

    static final float RMS_EPS = 1e-5f;
    static final float ROPE_BASE = 10000f;

    private final MemorySegment ctx;
    private final TrainWeights w;
    private final LlamaShape shape;

    private LlamaTrainGraph(MemorySegment ctx, TrainWeights w, LlamaShape shape) {
        this.ctx = ctx;
        this.w = w;
        this.shape = shape;
    }

    /** The logits of every position of every sequence in {@code w.tokens()}, built in {@code ctx}. */
    static MemorySegment logits(MemorySegment ctx, TrainWeights w, LlamaShape shape) {
        return new LlamaTrainGraph(ctx, w, shape).build();
    }

    private MemorySegment build() {
        long n = (long) w.seqLen() * w.batch();
        MemorySegment x = GgmlLib.ggml_get_rows(ctx, w.param("token_embd.weight"), w.tokens());
        for (int il = 0; il < shape.nLayer(); il++) {
            String p = "blk." + il + ".";
            MemorySegment h = norm(x, p + "attn_norm.weight");
            x = GgmlLib.ggml_add(ctx, x, attention(h, p));
            h = norm(x, p + "ffn_norm.weight");
            MemorySegment gate = GgmlLib.ggml_mul_mat(ctx, w.param(p + "ffn_gate.weight"), h);
            MemorySegment up = GgmlLib.ggml_mul_mat(ctx, w.param(p + "ffn_up.weight"), h);
            MemorySegment act = GgmlLib.ggml_swiglu_split(ctx, gate, up);
            x = GgmlLib.ggml_add(ctx, x, GgmlLib.ggml_mul_mat(ctx, w.param(p + "ffn_down.weight"), act));
        }
        x = norm(x, "output_norm.weight");
        MemorySegment logits = GgmlLib.ggml_mul_mat(ctx, w.param("output.weight"), x);
        return GgmlLib.ggml_reshape_2d(ctx, logits, shape.vocabSize(), n);
    }

    private MemorySegment norm(MemorySegment x, String weight) {
        return GgmlLib.ggml_mul(ctx, GgmlLib.ggml_rms_norm(ctx, x, RMS_EPS), w.param(weight));
    }

    private MemorySegment attention(MemorySegment h, String p) {
        int hd = shape.headDim();
        int nh = shape.nHead();
        int t = w.seqLen();
        int b = w.batch();
        // [hd, heads, T, B] -> rope over T -> [hd, T, heads, B]
        MemorySegment q = headsFirst(rope(GgmlLib.ggml_reshape_4d(ctx,
                GgmlLib.ggml_mul_mat(ctx, w.param(p + "attn_q.weight"), h), hd, nh, t, b)));
        MemorySegment k = headsFirst(rope(GgmlLib.ggml_reshape_4d(ctx,
                GgmlLib.ggml_mul_mat(ctx, w.param(p + "attn_k.weight"), h), hd, nh, t, b)));
        MemorySegment v = GgmlLib.ggml_reshape_4d(ctx,
                GgmlLib.ggml_mul_mat(ctx, w.param(p + "attn_v.weight"), h), hd, nh, t, b);
        MemorySegment vt = GgmlLib.ggml_cont(ctx, GgmlLib.ggml_permute(ctx, v, 1, 2, 0, 3)); // [T, hd, heads, B]
        MemorySegment kq = GgmlLib.ggml_mul_mat(ctx, k, q); // [T_k, T_q, heads, B]
        kq = GgmlLib.ggml_soft_max_ext(ctx, kq, w.mask(), (float) (1.0 / Math.sqrt(hd)), 0f);
        MemorySegment kqv = GgmlLib.ggml_mul_mat(ctx, vt, kq); // [hd, T_q, heads, B]
        MemorySegment merged = GgmlLib.ggml_cont(ctx, GgmlLib.ggml_permute(ctx, kqv, 0, 2, 1, 3)); // [hd, heads, T, B]
        merged = GgmlLib.ggml_reshape_2d(ctx, merged, shape.nEmbd(), (long) t * b);
        return GgmlLib.ggml_mul_mat(ctx, w.param(p + "attn_output.weight"), merged);
    }

    private MemorySegment rope(MemorySegment x) {
        return GgmlLib.ggml_rope_ext(ctx, x, w.positions(), MemorySegment.NULL, shape.headDim(), 0,
                shape.contextLength(), ROPE_BASE, 1f, 0f, 1f, 32f, 1f);
    }

    private MemorySegment headsFirst(MemorySegment x) {
        return GgmlLib.ggml_permute(ctx, x, 0, 2, 1, 3);
    }
}
