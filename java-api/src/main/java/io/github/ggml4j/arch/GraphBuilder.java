package io.github.ggml4j.arch;

import io.github.ggml4j.model.Pooling;
import io.github.ggml4j.NativeException;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.memory.GraphInputs;
import io.github.ggml4j.memory.KvStore;
import io.github.ggml4j.memory.Memory;
import io.github.ggml4j.memory.StateStore;
import io.github.ggml4j.nativ.GgmlContext;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The shared graph toolkit: what every architecture recipe builds its forward pass from. One instance builds
 * one ggml graph for one micro-batch shape; the inputs it creates are filled by the decoder before compute.
 *
 * <p>Recipes call {@link #inputEmbeddings}, {@link #rmsNorm}, {@link #rope}, {@link #attention},
 * {@link #swiglu}, {@link #selectOutputs} and {@link #outputHead}; shapes follow ggml's order
 * ({@code ne[0]} first), as in the shape comments.
 */
public final class GraphBuilder implements AutoCloseable {

    /** Sizes of the micro-batch the graph is built for; part of the graph-reuse key. */
    public record Shape(int nTokens, int nKv, int nOutputs, boolean flashAttention, int memoryLayout) {

        public Shape(int nTokens, int nKv, int nOutputs, boolean flashAttention) {
            this(nTokens, nKv, nOutputs, flashAttention, 0);
        }

        // Written out: a record's generated equals and hashCode bootstrap method handles on first use, which
        // cost the first decode step of every run a few milliseconds.
        @Override
        public boolean equals(Object o) {
            return o instanceof Shape s && nTokens == s.nTokens && nKv == s.nKv && nOutputs == s.nOutputs
                    && flashAttention == s.flashAttention && memoryLayout == s.memoryLayout;
        }

        @Override
        public int hashCode() {
            return (((nTokens * 31 + nKv) * 31 + nOutputs) * 31 + (flashAttention ? 1 : 0)) * 31 + memoryLayout;
        }
    }

    private final GgmlContext context;
    private final boolean ownsContext;
    private final MemorySegment ctx;
    private final MemorySegment graph;
    private final HParams hp;
    private final Memory memory;
    private final Shape shape;

    // inputs, filled by the engine (tokens, positions, outputs) and by the memory (cells, masks)
    private final MemorySegment inpTokens;   // [n_tokens] i32
    private final MemorySegment inpPos;      // [n_tokens] i32
    private final MemorySegment inpOutIds;   // [n_outputs] i32, or null when every token is an output
    private final GraphInputs memoryInputs;
    private MemorySegment inpMean;           // [n_tokens, n_outputs] f32, when mean pooling
    private MemorySegment inpCls;            // [n_outputs] i32, when first- or last-token pooling
    private Pooling rowPooling;
    private MemorySegment logits;
    private final List<MemorySegment[]> weightedNorms = new ArrayList<>(); // {norm node, its weight}

    public GraphBuilder(int maxNodes, HParams hp, Memory memory, Shape shape) {
        this(GgmlContext.forGraph(maxNodes), true, maxNodes, hp, memory, shape);
    }

    /**
     * A graph in {@code reused}, a context made by {@link GgmlContext#forGraph} for at least {@code maxNodes}
     * nodes, which this resets first and does not close: the last graph built in it is gone.
     */
    public GraphBuilder(GgmlContext reused, int maxNodes, HParams hp, Memory memory, Shape shape) {
        this(reset(reused), false, maxNodes, hp, memory, shape);
    }

    private static GgmlContext reset(GgmlContext c) {
        c.reset();
        return c;
    }

    private GraphBuilder(GgmlContext context, boolean owned, int maxNodes, HParams hp, Memory memory, Shape shape) {
        this.context = context;
        this.ownsContext = owned;
        this.ctx = context.handle();
        this.graph = GgmlLib.ggml_new_graph_custom(ctx, maxNodes, false);
        if (graph.equals(MemorySegment.NULL)) {
            close();
            throw new NativeException("ggml_new_graph_custom failed for " + maxNodes + " nodes");
        }
        this.hp = hp;
        this.memory = memory;
        this.shape = shape;
        int n = shape.nTokens();
        inpTokens = input("inp_tokens", GgmlLib.GGML_TYPE_I32(), n);
        inpPos = input("inp_pos", GgmlLib.GGML_TYPE_I32(), n);
        inpOutIds = shape.nOutputs() == n ? null : input("inp_out_ids", GgmlLib.GGML_TYPE_I32(), shape.nOutputs());
        memoryInputs = memory.newInputs(context, n, shape.nKv(), shape.memoryLayout(), shape.flashAttention());
    }

    private MemorySegment input(String name, int type, long... ne) {
        MemorySegment t = context.newTensor(type, ne);
        GgmlContext.setName(t, name);
        GgmlLib.ggml_set_input(t);
        return t;
    }

    public HParams hparams() {
        return hp;
    }

    public Shape shape() {
        return shape;
    }

    public MemorySegment graph() {
        return graph;
    }

    /** The graph's ggml context, for the recipes' own helpers in this package. */
    MemorySegment ctx() {
        return ctx;
    }

    /** The memory as recurrent layers read and write it. */
    StateStore stateStore() {
        if (!(memory instanceof StateStore store)) {
            throw new IllegalStateException("recurrent layers need a memory that keeps per-sequence state");
        }
        return store;
    }

    public MemorySegment tokensInput() {
        return inpTokens;
    }

    public MemorySegment positionsInput() {
        return inpPos;
    }

    /** The memory's own inputs of this graph (cell indices, masks), which it fills before compute. */
    public GraphInputs memoryInputs() {
        return memoryInputs;
    }

    /** The output-row selection input, or null when all tokens are outputs. */
    public MemorySegment outIdsInput() {
        return inpOutIds;
    }

    /** Mean pooling's weights input [n_tokens, n_outputs], or null when the graph pools no means. */
    public MemorySegment meanInput() {
        return inpMean;
    }

    /** The pooled token index per output [n_outputs], or null when the graph picks no rows. */
    public MemorySegment poolRowsInput() {
        return inpCls;
    }

    /** Which token {@link #poolRowsInput()} picks per output: {@link Pooling#CLS} (first) or {@link Pooling#LAST}. */
    public Pooling rowPooling() {
        return rowPooling;
    }

    /** The logits tensor [n_vocab, n_outputs], once the recipe finished. */
    public MemorySegment logits() {
        return logits;
    }

    /** Marks the recipe's result and adds it to the graph. */
    public void finish(MemorySegment result) {
        GgmlLib.ggml_set_output(result);
        GgmlContext.setName(result, "result_output");
        expand(result);
        logits = result;
    }

    public void expand(MemorySegment t) {
        GgmlLib.ggml_build_forward_expand(graph, t);
    }

    // ---- basic ops ---------------------------------------------------------------------------------------

    /** Token embeddings: rows of {@code tokEmbd} [n_embd, n_vocab] for the input tokens -> [n_embd, n_tokens]. */
    public MemorySegment inputEmbeddings(MemorySegment tokEmbd) {
        return GgmlLib.ggml_get_rows(ctx, tokEmbd, inpTokens);
    }

    /** RMSNorm over ne[0], then scaled by the weight (when not null). */
    public MemorySegment rmsNorm(MemorySegment x, MemorySegment weight) {
        MemorySegment cur = GgmlLib.ggml_rms_norm(ctx, x, hp.rmsEps());
        if (weight == null) {
            return cur;
        }
        weightedNorms.add(new MemorySegment[] {cur, weight});
        return GgmlLib.ggml_mul(ctx, cur, weight);
    }

    /**
     * Each norm with a weight, with that weight: the engine places the norm on the weight's device. Left to
     * itself the scheduler runs a block's first norm on the previous block's device, which then sends the
     * next device both the residual and its norm (llama.cpp pins these norms the same way).
     */
    public void forEachWeightedNorm(BiConsumer<MemorySegment, MemorySegment> action) {
        for (MemorySegment[] nw : weightedNorms) {
            action.accept(nw[0], nw[1]);
        }
    }

    /** Layer norm over ne[0] (mean and variance), then {@code · weight + bias} (each when not null). */
    public MemorySegment layerNorm(MemorySegment x, MemorySegment weight, MemorySegment bias, float eps) {
        MemorySegment cur = GgmlLib.ggml_norm(ctx, x, eps);
        if (weight != null) {
            weightedNorms.add(new MemorySegment[] {cur, weight});
            cur = GgmlLib.ggml_mul(ctx, cur, weight);
        }
        return bias == null ? cur : GgmlLib.ggml_add(ctx, cur, bias);
    }

    /** {@code w · x} (+ bias when not null): [n_in, n_out] × [n_in, n] -> [n_out, n]. */
    public MemorySegment linear(MemorySegment w, MemorySegment x, MemorySegment bias) {
        MemorySegment cur = GgmlLib.ggml_mul_mat(ctx, w, x);
        return bias == null ? cur : GgmlLib.ggml_add(ctx, cur, bias);
    }

    public MemorySegment add(MemorySegment a, MemorySegment b) {
        return GgmlLib.ggml_add(ctx, a, b);
    }

    public MemorySegment reshape3d(MemorySegment x, long ne0, long ne1, long ne2) {
        return GgmlLib.ggml_reshape_3d(ctx, x, ne0, ne1, ne2);
    }

    /** Rotary position embedding of [head_dim, n_heads, n_tokens] at the input positions. */
    public MemorySegment rope(MemorySegment x, MemorySegment freqFactors) {
        return GgmlLib.ggml_rope_ext(ctx, x, inpPos, freqFactors == null ? MemorySegment.NULL : freqFactors,
                hp.nRot(), hp.ropeType(), hp.nCtxOrig(), hp.ropeFreqBase(), hp.ropeFreqScale(),
                0.0f, 1.0f, 32.0f, 1.0f);
    }

    /** SwiGLU feed-forward: down · (silu(gate · x) ⊙ (up · x)). */
    public MemorySegment swiglu(MemorySegment x, MemorySegment up, MemorySegment gate, MemorySegment down) {
        MemorySegment u = GgmlLib.ggml_mul_mat(ctx, up, x);     // [n_ff, n_tokens]
        MemorySegment g = GgmlLib.ggml_mul_mat(ctx, gate, x);   // [n_ff, n_tokens]
        MemorySegment h = GgmlLib.ggml_swiglu_split(ctx, g, u); // silu(g) * u
        return GgmlLib.ggml_mul_mat(ctx, down, h);              // [n_embd, n_tokens]
    }

    /**
     * Keeps only the rows whose logits were asked for (before the last residual add, as llama.cpp does), so
     * the output head runs on n_outputs rows instead of n_tokens.
     */
    public MemorySegment selectOutputs(MemorySegment x) {
        return inpOutIds == null ? x : GgmlLib.ggml_get_rows(ctx, x, inpOutIds);
    }

    /** Learned absolute positions: rows of {@code posEmbd} [n_embd, n_ctx_train] at the input positions. */
    public MemorySegment positionEmbeddings(MemorySegment posEmbd) {
        return GgmlLib.ggml_get_rows(ctx, posEmbd, inpPos); // [n_embd, n_tokens]
    }

    /** Layer norm with the model's epsilon (read into {@link HParams#rmsEps()}). */
    public MemorySegment layerNorm(MemorySegment x, MemorySegment weight, MemorySegment bias) {
        return layerNorm(x, weight, bias, hp.rmsEps());
    }

    /** GELU feed-forward with optional biases: down · gelu(up · x + b_up) + b_down. */
    public MemorySegment geluFfn(MemorySegment x, MemorySegment up, MemorySegment upBias, MemorySegment down,
                                 MemorySegment downBias) {
        MemorySegment h = GgmlLib.ggml_gelu(ctx, linear(up, x, upBias)); // [n_ff, n_tokens]
        return linear(down, h, downBias);                                // [n_embd, n_tokens]
    }

    /** Q, K and V of one layer, each [head_dim, n_heads, n_tokens]. */
    public record Qkv(MemorySegment q, MemorySegment k, MemorySegment v) {
    }

    /**
     * A fused QKV projection {@code wqkv} [n_embd, n_embd_q + 2·n_embd_k_gqa] (+ bias), clamped to
     * ±{@link HParams#clampKqv()} when set, split into strided views without copies.
     */
    public Qkv fusedQkv(MemorySegment x, MemorySegment wqkv, MemorySegment bias) {
        MemorySegment qkv = linear(wqkv, x, bias); // [n_embd_q + 2·n_embd_k_gqa, n_tokens]
        if (hp.clampKqv() > 0) {
            qkv = GgmlLib.ggml_clamp(ctx, qkv, -hp.clampKqv(), hp.clampKqv());
        }
        long es = GgmlLib.ggml_element_size(qkv);
        long row = io.github.ggml4j.nativ.Tensors.nb(qkv, 1);
        long n = shape.nTokens();
        long hk = hp.nEmbdHeadK();
        long hv = hp.nEmbdHeadV();
        MemorySegment q = GgmlLib.ggml_view_3d(ctx, qkv, hk, hp.nHead(), n, es * hk, row, 0);
        MemorySegment k = GgmlLib.ggml_view_3d(ctx, qkv, hk, hp.nHeadKv(), n, es * hk, row, es * hp.nEmbdQ());
        MemorySegment v = GgmlLib.ggml_view_3d(ctx, qkv, hv, hp.nHeadKv(), n, es * hv, row,
                es * (hp.nEmbdQ() + hp.nEmbdKGqa()));
        return new Qkv(q, k, v);
    }

    /** Final norm and output projection: [n_embd, n_outputs] -> [n_vocab, n_outputs]. */
    public MemorySegment outputHead(MemorySegment x, MemorySegment norm, MemorySegment output, MemorySegment bias) {
        return linear(output, rmsNorm(x, norm), bias);
    }

    /**
     * One vector per output row from the hidden states of all tokens [n_embd, n_tokens]: the mean over the
     * tokens of that row's sequence, or the state of its first (CLS, RANK) or last token. The engine fills the
     * weights or indices from the batch. NONE keeps the output rows.
     *
     * @return [n_embd, n_outputs]
     */
    public MemorySegment pool(MemorySegment x, Pooling pooling) {
        int n = shape.nTokens();
        int nOut = shape.nOutputs();
        return switch (pooling) {
            case NONE -> selectOutputs(x);
            case MEAN -> {
                inpMean = input("inp_mean", GgmlLib.GGML_TYPE_F32(), n, nOut);
                // [n_embd, n_tokens]^T · [n_tokens, n_outputs]
                yield GgmlLib.ggml_mul_mat(ctx, GgmlLib.ggml_cont(ctx, GgmlLib.ggml_transpose(ctx, x)), inpMean);
            }
            case CLS, LAST, RANK -> {
                inpCls = input("inp_cls", GgmlLib.GGML_TYPE_I32(), nOut);
                rowPooling = pooling == Pooling.LAST ? Pooling.LAST : Pooling.CLS;
                yield GgmlLib.ggml_get_rows(ctx, x, inpCls);
            }
        };
    }

    /** {@code tanh(x)}. */
    public MemorySegment tanh(MemorySegment x) {
        return GgmlLib.ggml_tanh(ctx, x);
    }

    // ---- attention ---------------------------------------------------------------------------------------

    /**
     * Self-attention over the KV cache for layer {@code il}: stores this batch's K and V into the cache cells
     * given by the index inputs, attends over the first n_kv cells with the causal mask, and projects with
     * {@code wo} (+ {@code bo}).
     *
     * @param q [head_dim, n_head, n_tokens], already rotated
     * @param k [head_dim, n_head_kv, n_tokens], already rotated
     * @param v [head_dim_v, n_head_kv, n_tokens]
     * @return [n_embd, n_tokens]
     */
    public MemorySegment attention(int il, MemorySegment q, MemorySegment k, MemorySegment v,
                                   MemorySegment wo, MemorySegment bo) {
        return attention(il, q, k, v, wo, bo, null, hp.kqScale());
    }

    /**
     * As {@link #attention(int, MemorySegment, MemorySegment, MemorySegment, MemorySegment, MemorySegment)},
     * with a bias added to the scores before the soft-max (T5's relative positions; then without flash attention,
     * which has no bias input, as llama.cpp does) and an explicit score scale.
     *
     * @param kqBias [n_kv, n_tokens, n_head], or null
     */
    public MemorySegment attention(int il, MemorySegment q, MemorySegment k, MemorySegment v,
                                   MemorySegment wo, MemorySegment bo, MemorySegment kqBias, float scale) {
        int nTokens = shape.nTokens();
        boolean fa = shape.flashAttention() && kqBias == null;
        if (!(memory instanceof KvStore store)) {
            throw new IllegalStateException("attention needs a memory that keeps keys and values");
        }

        // added together so the scheduler keeps them in one split, as llama.cpp does
        expand(q);
        expand(v);
        expand(k);

        KvStore.Views views = store.storeAndView(ctx, this::expand, memoryInputs, il, k, v);
        float maxBias = hp.maxAlibiBias();
        MemorySegment cur;
        if (views.groups().isEmpty()) {
            // [head_dim, n_head_kv, n_kv], [head_dim_v, n_head_kv, n_kv] or transposed, mask [n_kv, n_tokens]
            cur = attend(q, views.k(), views.v(), views.mask(), views.transposed(), fa, kqBias, scale, maxBias, nTokens);
        } else {
            if (kqBias != null) {
                throw new IllegalStateException("a position bias over KV streams is not supported");
            }
            // per stream group: gather its queries, attend over its streams, then put the rows back in batch order
            long width = (long) hp.nEmbdHeadK() * hp.nHead();
            MemorySegment q2 = GgmlLib.ggml_reshape_2d(ctx, GgmlLib.ggml_is_contiguous(q) ? q : GgmlLib.ggml_cont(ctx, q),
                    width, nTokens);                                       // [n_embd_head * n_head, n_tokens]
            MemorySegment all = null;
            for (KvStore.StreamGroup g : views.groups()) {
                MemorySegment qg = GgmlLib.ggml_get_rows(ctx, q2, g.rows()); // [n_embd_head * n_head, rows]
                qg = GgmlLib.ggml_reshape_4d(ctx, qg, hp.nEmbdHeadK(), hp.nHead(), g.perStream(), g.streams());
                MemorySegment out = attend(qg, g.k(), g.v(), g.mask(), views.transposed(), fa, kqBias, scale, maxBias,
                        (long) g.perStream() * g.streams());                // [n_embd_v, rows]
                all = all == null ? out : GgmlLib.ggml_concat(ctx, all, out, 1);
            }
            cur = GgmlLib.ggml_get_rows(ctx, all, views.back());           // [n_embd_v, n_tokens]
        }
        expand(cur);
        // writes the memory must do after attention read it (a rolling buffer overwrites slots the batch reads)
        views.after().forEach(this::expand);
        return linear(wo, cur, bo);
    }

    /**
     * Scaled dot-product attention of queries over keys and values, with flash attention or as two products
     * around a soft-max; a fourth dimension (streams) is carried through.
     *
     * @param q    [head_dim, n_head, n_q, n_stream]
     * @param kv   [head_dim, n_head_kv, n_kv, n_stream]
     * @param vv   [head_dim_v, n_head_kv, n_kv, n_stream], or [n_kv, n_head_kv, head_dim_v, n_stream] when transposed
     * @param mask [n_kv, n_q, 1, n_stream]
     * @return [n_embd_v, n_q * n_stream]
     */
    private MemorySegment attend(MemorySegment q, MemorySegment kv, MemorySegment vv, MemorySegment mask,
                                 boolean transposed, boolean fa, MemorySegment kqBias, float scale, float maxBias,
                                 long rows) {
        int headV = hp.nEmbdHeadV();
        MemorySegment qp = GgmlLib.ggml_permute(ctx, q, 0, 2, 1, 3);  // [head_dim, n_q, n_head, n_stream]
        MemorySegment kp = GgmlLib.ggml_permute(ctx, kv, 0, 2, 1, 3); // [head_dim, n_kv, n_head_kv, n_stream]
        MemorySegment vp = fa || transposed
                ? GgmlLib.ggml_permute(ctx, vv, 0, 2, 1, 3)
                // [head_dim_v, n_head_kv, n_kv] -> [n_kv, head_dim_v, n_head_kv], as the product below reads it
                : GgmlLib.ggml_cont(ctx, GgmlLib.ggml_permute(ctx, vv, 1, 2, 0, 3));
        // ALiBi (Press et al. 2022): the soft-max adds slope_h · mask, the mask holding -|i - j| (see KqMask)
        if (fa) {
            MemorySegment cur = GgmlLib.ggml_flash_attn_ext(ctx, qp, kp, vp, mask, scale, maxBias, 0.0f);
            GgmlLib.ggml_prec_set_acc(cur, GgmlLib.GGML_PREC_F32());
            // [head_dim_v, n_head, n_q, n_stream] -> [n_embd_v, n_q * n_stream]
            return GgmlLib.ggml_reshape_2d(ctx, cur, (long) headV * hp.nHead(), rows);
        }
        MemorySegment kq = GgmlLib.ggml_mul_mat(ctx, kp, qp);   // [n_kv, n_q, n_head, n_stream]
        GgmlLib.ggml_prec_set_acc(kq, GgmlLib.GGML_PREC_F32());
        if (kqBias != null) {
            kq = GgmlLib.ggml_add(ctx, kq, kqBias);
        }
        kq = GgmlLib.ggml_soft_max_ext(ctx, kq, mask, scale, maxBias);
        MemorySegment kqv = GgmlLib.ggml_mul_mat(ctx, vp, kq); // [head_dim_v, n_q, n_head, n_stream]
        MemorySegment cur = GgmlLib.ggml_permute(ctx, kqv, 0, 2, 1, 3); // [head_dim_v, n_head, n_q, n_stream]
        return GgmlLib.ggml_cont_2d(ctx, cur, (long) headV * hp.nHead(), rows);
    }

    /**
     * T5's relative position bias: the learned bias {@code relB} [n_head, n_buckets] of each query–key pair's
     * bucket, the buckets filled by the memory from the positions it holds.
     *
     * @return [n_kv, n_tokens, n_head], to add to the attention scores
     */
    public MemorySegment relativePositionBias(MemorySegment relB) {
        if (!(memory instanceof KvStore store)) {
            throw new IllegalStateException("relative positions need a memory that keeps keys and values");
        }
        int nBuckets = (int) io.github.ggml4j.nativ.Tensors.ne(relB, 1);
        MemorySegment buckets = store.positionBuckets(context, memoryInputs, nBuckets); // [n_kv, n_tokens]
        long nKv = io.github.ggml4j.nativ.Tensors.ne(buckets, 0);
        long n = io.github.ggml4j.nativ.Tensors.ne(buckets, 1);
        MemorySegment flat = GgmlLib.ggml_reshape_1d(ctx, buckets, nKv * n);
        MemorySegment bias = GgmlLib.ggml_get_rows(ctx, relB, flat);         // [n_head, n_kv * n_tokens]
        bias = GgmlLib.ggml_reshape_3d(ctx, bias, hp.nHead(), nKv, n);       // [n_head, n_kv, n_tokens]
        return GgmlLib.ggml_cont(ctx, GgmlLib.ggml_permute(ctx, bias, 2, 0, 1, 3)); // [n_kv, n_tokens, n_head]
    }

    /**
     * Cross-attention over the encoder states the memory holds for the batch's sequences (T5's decoder): keys
     * and values are projected from those states by {@code wk} and {@code wv}, each token sees its own
     * sequence's states only, and the result is projected by {@code wo}.
     *
     * @param q [head_dim, n_head, n_tokens]
     * @return [n_embd, n_tokens]
     */
    public MemorySegment crossAttention(MemorySegment q, MemorySegment wk, MemorySegment wv, MemorySegment wo,
                                        float scale) {
        if (!(memory instanceof io.github.ggml4j.memory.EncoderOutputs enc)) {
            throw new IllegalStateException("cross-attention needs a memory that keeps encoder outputs");
        }
        MemorySegment states = enc.crossStates(memoryInputs); // [n_embd, n_enc]
        MemorySegment mask = enc.crossMask(memoryInputs);     // [n_enc, n_tokens]
        long nEnc = io.github.ggml4j.nativ.Tensors.ne(states, 1);
        int nTokens = shape.nTokens();
        int headV = hp.nEmbdHeadV();
        MemorySegment k = reshape3d(GgmlLib.ggml_mul_mat(ctx, wk, states), hp.nEmbdHeadK(), hp.nHeadKv(), nEnc);
        MemorySegment v = reshape3d(GgmlLib.ggml_mul_mat(ctx, wv, states), headV, hp.nHeadKv(), nEnc);
        MemorySegment qp = GgmlLib.ggml_permute(ctx, q, 0, 2, 1, 3); // [head_dim, n_tokens, n_head]
        MemorySegment cur;
        if (shape.flashAttention()) {
            k = GgmlLib.ggml_cast(ctx, k, GgmlLib.GGML_TYPE_F16());
            v = GgmlLib.ggml_cast(ctx, v, GgmlLib.GGML_TYPE_F16());
            cur = GgmlLib.ggml_flash_attn_ext(ctx, qp, GgmlLib.ggml_permute(ctx, k, 0, 2, 1, 3),
                    GgmlLib.ggml_permute(ctx, v, 0, 2, 1, 3), mask, scale, 0.0f, 0.0f);
            GgmlLib.ggml_prec_set_acc(cur, GgmlLib.GGML_PREC_F32());
            cur = GgmlLib.ggml_reshape_2d(ctx, cur, (long) headV * hp.nHead(), nTokens);
        } else {
            MemorySegment kq = GgmlLib.ggml_mul_mat(ctx, GgmlLib.ggml_permute(ctx, k, 0, 2, 1, 3), qp); // [n_enc, n_tokens, n_head]
            GgmlLib.ggml_prec_set_acc(kq, GgmlLib.GGML_PREC_F32());
            kq = GgmlLib.ggml_soft_max_ext(ctx, kq, mask, scale, 0.0f);
            MemorySegment vt = GgmlLib.ggml_cont(ctx, GgmlLib.ggml_permute(ctx, v, 1, 2, 0, 3)); // [n_enc, head_dim_v, n_head_kv]
            MemorySegment kqv = GgmlLib.ggml_mul_mat(ctx, vt, kq); // [head_dim_v, n_tokens, n_head]
            cur = GgmlLib.ggml_cont_2d(ctx, GgmlLib.ggml_permute(ctx, kqv, 0, 2, 1, 3), (long) headV * hp.nHead(),
                    nTokens);
        }
        return linear(wo, cur, null);
    }

    /** A GELU-gated feed-forward (flan-T5): down · (gelu(gate · x) ⊙ (up · x)). */
    public MemorySegment gegluFfn(MemorySegment x, MemorySegment up, MemorySegment gate, MemorySegment down) {
        MemorySegment u = GgmlLib.ggml_mul_mat(ctx, up, x);     // [n_ff, n_tokens]
        MemorySegment g = GgmlLib.ggml_mul_mat(ctx, gate, x);   // [n_ff, n_tokens]
        return GgmlLib.ggml_mul_mat(ctx, down, GgmlLib.ggml_geglu_split(ctx, g, u));
    }

    /** A ReLU feed-forward without biases (T5): down · relu(up · x). */
    public MemorySegment reluFfn(MemorySegment x, MemorySegment up, MemorySegment down) {
        return GgmlLib.ggml_mul_mat(ctx, down, GgmlLib.ggml_relu(ctx, GgmlLib.ggml_mul_mat(ctx, up, x)));
    }

    @Override
    public void close() {
        if (ownsContext) {
            context.close();
        }
    }
}
