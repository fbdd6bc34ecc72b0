package io.github.ggml4j.memory;

import io.github.ggml4j.SessionStateException;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.nativ.GgmlContext;
import io.github.ggml4j.nativ.NativeStatus;
import io.github.ggml4j.runtime.Batch;

import java.io.DataInput;
import java.io.DataOutput;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.Consumer;

/**
 * The memory of an encoder, which keeps nothing between steps: each input is encoded whole in one micro-batch,
 * its tokens attending to each other (all of them, or the earlier ones for a causal encoder) and to no other
 * input's. Attention reads the batch's own keys and values; the only graph input is the mask. The engine
 * plans whole sequences per step for it ({@link #wholeSequences()}).
 */
public final class EncoderMemory implements Memory, KvStore {

    private static final short F16_NEG_INF = (short) 0xFC00;

    /**
     * The mask of one graph: [n_tokens, n_tokens], f16 for flash attention; and T5's relative position buckets
     * [n_tokens, n_tokens] i32 when its recipe asked for them.
     */
    static final class Inputs implements GraphInputs {
        final MemorySegment mask;
        final int nTokens;
        final boolean flash;
        MemorySegment buckets;
        int nBuckets;

        Inputs(MemorySegment mask, int nTokens, boolean flash) {
            this.mask = mask;
            this.nTokens = nTokens;
            this.flash = flash;
        }

        MemorySegment mask() {
            return mask;
        }

        boolean flash() {
            return flash;
        }
    }

    private final HParams hp;
    private final int maxTokens;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment maskHost;
    private final short[] row16;
    private final float[] row32;
    private boolean closed;

    public EncoderMemory(MemorySpec spec) {
        this.hp = spec.hparams();
        this.maxTokens = spec.maxTokens();
        this.maskHost = arena.allocate(4L * maxTokens * maxTokens, 64);
        this.row16 = new short[maxTokens];
        this.row32 = new float[maxTokens];
    }

    /** Host bytes of the mask staging buffer, for the up-front memory check. */
    public static long bytes(MemorySpec spec) {
        return 4L * spec.maxTokens() * spec.maxTokens();
    }

    @Override
    public boolean wholeSequences() {
        return true;
    }

    @Override
    public int maxTokensPerSequence() {
        return maxTokens;
    }

    @Override
    public boolean sharesPrefixes() {
        return false;
    }

    @Override
    public Slots worstCase(int tokens) {
        return new Slots(new int[0], tokens, 0);
    }

    @Override
    public int capacity() {
        return maxTokens;
    }

    @Override
    public int usedCells() {
        return 0;
    }

    @Override
    public int nextPosition(int seq) {
        return 0;
    }

    @Override
    public boolean canTruncate(int seq, int position) {
        return position == 0;
    }

    @Override
    public String truncateRefusal(int seq, int position) {
        return "an encoder keeps no positions between calls; there is nothing to rewind to " + position;
    }

    @Override
    public String fullMessage(int live) {
        return "an encoder input must fit one micro-batch of " + maxTokens + " tokens; load the model with a larger "
                + "batch size (ModelOptions.withBatchSize, --ubatch-size)";
    }

    /**
     * Every token gets the cell of its index in the batch. A sequence must start there (position 0) and
     * bring its tokens in order: an encoder cannot continue an input it has forgotten.
     */
    @Override
    public Slots place(Batch batch) {
        int n = batch.size();
        if (n > maxTokens) {
            return null;
        }
        int[] cells = new int[n];
        for (int i = 0; i < n; i++) {
            cells[i] = i;
            boolean first = i == 0 || batch.seq(i - 1) != batch.seq(i);
            int expected = first ? 0 : batch.position(i - 1) + 1;
            if (batch.position(i) != expected) {
                return null;
            }
        }
        return new Slots(cells, n, 0);
    }

    @Override
    public void rollback(Slots slots) {
        // nothing was kept
    }

    @Override
    public GraphInputs newInputs(GgmlContext ctx, int nTokens, int attended, int layout, boolean flashAttention) {
        MemorySegment mask = ctx.newTensor(flashAttention ? GgmlLib.GGML_TYPE_F16() : GgmlLib.GGML_TYPE_F32(),
                nTokens, nTokens);
        GgmlContext.setName(mask, "inp_kq_mask");
        GgmlLib.ggml_set_input(mask);
        return new Inputs(mask, nTokens, flashAttention);
    }

    /** 0 where a token may look at another (same input, and not later when causal), -inf elsewhere. */
    @Override
    public void fillInputs(GraphInputs graphInputs, Batch batch, Slots slots, boolean causal) {
        Inputs in = (Inputs) graphInputs;
        int n = batch.size();
        boolean alibi = hp.maxAlibiBias() > 0;
        for (int i = 0; i < n; i++) {
            int seq = batch.seq(i);
            int pos = batch.position(i);
            for (int j = 0; j < n; j++) {
                boolean visible = batch.seq(j) == seq && (!causal || batch.position(j) <= pos);
                float bias = alibi ? -Math.abs(batch.position(j) - pos) : 0f;
                if (in.flash()) {
                    row16[j] = visible ? Float.floatToFloat16(bias) : F16_NEG_INF;
                } else {
                    row32[j] = visible ? bias : Float.NEGATIVE_INFINITY;
                }
            }
            if (in.flash()) {
                MemorySegment.copy(row16, 0, maskHost, ValueLayout.JAVA_SHORT, 2L * i * n, n);
            } else {
                MemorySegment.copy(row32, 0, maskHost, ValueLayout.JAVA_FLOAT, 4L * i * n, n);
            }
        }
        NativeStatus.check(GgmlLib.ggml4j_tensor_set(in.mask(), maskHost, 0, (long) n * n * (in.flash() ? 2 : 4)),
                "setting the encoder mask");
        if (in.buckets != null) {
            int[] row = new int[n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    row[j] = RelativePositions.bucket(batch.position(j), batch.position(i), in.nBuckets, !causal);
                }
                MemorySegment.copy(row, 0, maskHost, ValueLayout.JAVA_INT, 4L * i * n, n);
            }
            NativeStatus.check(GgmlLib.ggml4j_tensor_set(in.buckets, maskHost, 0, 4L * n * n),
                    "setting the relative position buckets");
        }
    }

    @Override
    public MemorySegment positionBuckets(GgmlContext ctx, GraphInputs graphInputs, int nBuckets) {
        Inputs in = (Inputs) graphInputs;
        if (in.buckets == null) {
            in.buckets = ctx.newTensor(GgmlLib.GGML_TYPE_I32(), in.nTokens, in.nTokens);
            GgmlContext.setName(in.buckets, "inp_pos_bucket");
            GgmlLib.ggml_set_input(in.buckets);
            in.nBuckets = nBuckets;
        }
        return in.buckets;
    }

    /**
     * The batch's own keys and values; flash attention reads them as f16, as llama.cpp casts them when no cache
     * holds them.
     */
    @Override
    public Views storeAndView(MemorySegment ctx, Consumer<MemorySegment> expand, GraphInputs graphInputs, int il,
                              MemorySegment k, MemorySegment v) {
        Inputs in = (Inputs) graphInputs;
        // a graph with T5's position bias attends without flash attention (as llama.cpp does): K and V stay F32
        if (in.flash() && in.buckets == null) {
            k = GgmlLib.ggml_cast(ctx, k, GgmlLib.GGML_TYPE_F16()); // [head_dim, n_head_kv, n_tokens]
            v = GgmlLib.ggml_cast(ctx, v, GgmlLib.GGML_TYPE_F16()); // [head_dim_v, n_head_kv, n_tokens]
        }
        return new Views(k, v, in.mask(), false);
    }

    @Override
    public void removeRange(int seq, int from, int to) {
        // nothing is kept
    }

    @Override
    public void copySequence(int src, int dst, int from, int to) {
        // nothing is kept, so there is nothing to share
    }

    @Override
    public void keepOnly(int seq) {
        // nothing is kept
    }

    @Override
    public void clear() {
        // nothing is kept
    }

    @Override
    public void writeState(int seq, DataOutput out) {
        throw new SessionStateException("an encoder keeps no state between calls; there is nothing to save");
    }

    @Override
    public void readState(int seq, DataInput in) {
        throw new SessionStateException("an encoder keeps no state between calls; there is nothing to restore");
    }

    @Override
    public long nativeBytes() {
        return maskHost.byteSize();
    }

    @Override
    public String summary() {
        return "no cache (an encoder), inputs of up to " + maxTokens + " tokens";
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
