package io.github.ggml4j.memory;

import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.nativ.GgmlContext;
import io.github.ggml4j.nativ.Tensors;
import io.github.ggml4j.runtime.Batch;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.Consumer;

/**
 * The unified attention KV cache shared by every sequence of a model: per layer a K tensor
 * [n_embd_k_gqa, size] and a V tensor [n_embd_v_gqa, size] (transposed when flash attention is off, as
 * llama.cpp stores it). Each cell carries a position and the set of sequences that see it, so a fork shares
 * cells instead of copying them, and a sequence never sees another's cells.
 */
public final class KvCache implements Memory, KvStore {

    /** The attended range is padded so the graph shape (and the graph) stays the same over many steps. */
    public static final int PAD = 256;

    /** This cache's inputs of one graph. */
    record Inputs(MemorySegment kIdx, MemorySegment vIdx, MemorySegment mask, int nTokens, int attended,
                  boolean flash) implements GraphInputs {
    }

    private final HParams hp;
    private final KvTensors tensors;
    private final int size;
    private final int window;
    private final Cells cells;

    // host staging for the mask, sized for the largest micro-batch
    private final Arena arena = Arena.ofShared();
    private final MemorySegment maskHost;
    private short[] maskRow16 = new short[0];
    private float[] maskRow32 = new float[0];

    /**
     * @param cells       cells to allocate
     * @param maxTokens   the largest micro-batch
     * @param flash       whether attention uses flash attention (V is then stored untransposed)
     * @param layerBufts  buffer type per layer (where that layer's cache lives)
     * @param window      sliding attention window (a token sees positions (p - window, p]), 0 for none
     */
    public KvCache(HParams hp, int cells, int maxTokens, int kType, int vType, boolean flash,
                   MemorySegment[] layerBufts, int window) {
        this.hp = hp;
        this.tensors = new KvTensors(hp, cells, maxTokens, kType, vType, flash, layerBufts);
        this.size = cells;
        this.window = window;
        this.cells = new Cells(cells);
        try {
            maskHost = arena.allocate(4L * maxTokens * size, 64);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Bytes of cache per cell over all layers (what one more position of context costs). */
    public static long bytesPerCell(HParams hp, int kType, int vType) {
        return hp.nLayer() * (Tensors.rowSize(kType, hp.nEmbdKGqa()) + Tensors.rowSize(vType, hp.nEmbdVGqa()));
    }

    // ---- cells ---------------------------------------------------------------------------------------------

    @Override
    public int capacity() {
        return size;
    }

    @Override
    public int usedCells() {
        return cells.used();
    }

    @Override
    public long nativeBytes() {
        return tensors.bytes();
    }

    @Override
    public int nextPosition(int seq) {
        return cells.nextPosition(seq);
    }

    @Override
    public String summary() {
        return "KV cache of " + size + " cells on " + hp.nLayer() + " layers"
                + (window > 0 ? " with a sliding-window mask of " + window : "") + ", "
                + tensors.bytes() / size + " bytes per position (" + tensors.bytes() + " bytes)";
    }

    @Override
    public Slots place(Batch batch) {
        int n = batch.size();
        int[] free = cells.free(n);
        if (free == null) {
            return null;
        }
        for (int i = 0; i < n; i++) {
            cells.assign(free[i], batch.position(i), batch.seq(i));
        }
        return new Slots(free, attended(), 0);
    }

    /** The cells a graph attends over: up to the highest used cell, padded to {@link #PAD}. */
    private int attended() {
        long padded = Math.max(PAD, ((long) cells.top() + PAD - 1) / PAD * PAD);
        return (int) Math.min(size, padded);
    }

    /** The position {@code cell} holds (any value for an empty cell, which the mask hides). */
    int positionOf(int cell) {
        return cells.position(cell);
    }

    @Override
    public void rollback(Slots slots) {
        for (int c : slots.cells()) {
            cells.release(c);
        }
    }

    @Override
    public void removeRange(int seq, int from, int to) {
        cells.removeRange(seq, from, to);
    }

    @Override
    public void copySequence(int src, int dst, int from, int to) {
        cells.copy(src, dst, from, to);
    }

    @Override
    public void keepOnly(int seq) {
        cells.keepOnly(seq);
    }

    @Override
    public void clear() {
        cells.clear();
    }

    // ---- graph inputs and attention ------------------------------------------------------------------------

    @Override
    public GraphInputs newInputs(GgmlContext ctx, int nTokens, int attended, int layout, boolean flashAttention) {
        if (flashAttention == tensors.transposedV()) {
            throw new IllegalStateException("the cache was laid out for flash attention " + !tensors.transposedV());
        }
        MemorySegment[] idx = tensors.newIndexInputs(ctx, nTokens);
        MemorySegment mask = KvTensors.input(ctx, "inp_kq_mask", flashAttention ? GgmlLib.GGML_TYPE_F16() : GgmlLib.GGML_TYPE_F32(),
                attended, nTokens);
        return new Inputs(idx[0], idx[1], mask, nTokens, attended, flashAttention);
    }

    @Override
    public void fillInputs(GraphInputs graphInputs, Batch batch, Slots slots, boolean causal) {
        Inputs in = (Inputs) graphInputs;
        tensors.fillIndices(in.kIdx(), in.vIdx(), slots.cells(), batch.size());
        fillMask(in, batch, causal);
    }

    /**
     * 0 where a token may look at a cell (same sequence, and not later when causal), -inf elsewhere; with
     * ALiBi ({@link HParams#maxAlibiBias()} set) {@code -|p_token - p_cell|} instead of 0, which the soft-max
     * scales by each head's slope.
     */
    private void fillMask(Inputs in, Batch batch, boolean causal) {
        boolean alibi = hp.maxAlibiBias() > 0;
        int nKv = in.attended();
        int n = batch.size();
        // per sequence of the batch: the position of each cell it sees, MAX_VALUE where it sees none
        int[] seenPos = new int[nKv];
        int lastSeq = Integer.MIN_VALUE;
        if (in.flash() && maskRow16.length < nKv) {
            maskRow16 = new short[nKv];
        } else if (!in.flash() && maskRow32.length < nKv) {
            maskRow32 = new float[nKv];
        }
        for (int i = 0; i < n; i++) {
            int seq = batch.seq(i);
            if (seq != lastSeq) {
                cells.visibleTo(seq, nKv, seenPos);
                lastSeq = seq;
            }
            if (in.flash()) {
                KqMask.row16(maskRow16, seenPos, nKv, batch.position(i), causal, window, alibi);
                MemorySegment.copy(maskRow16, 0, maskHost, ValueLayout.JAVA_SHORT, (long) i * nKv * 2, nKv);
            } else {
                KqMask.row32(maskRow32, seenPos, nKv, batch.position(i), causal, window, alibi);
                MemorySegment.copy(maskRow32, 0, maskHost, ValueLayout.JAVA_FLOAT, (long) i * nKv * 4, nKv);
            }
        }
        KvTensors.set(in.mask(), maskHost, (long) nKv * n * (in.flash() ? 2 : 4));
    }

    @Override
    public Views storeAndView(MemorySegment ctx, Consumer<MemorySegment> expand, GraphInputs graphInputs, int il,
                              MemorySegment kCur, MemorySegment vCur) {
        Inputs in = (Inputs) graphInputs;
        int nKv = in.attended();
        tensors.store(ctx, expand, in.kIdx(), in.vIdx(), il, kCur, vCur, in.nTokens());
        // [head_dim, n_head_kv, n_kv] views of the first n_kv cells
        return new Views(tensors.kView(ctx, il, nKv, 1, size, 0), tensors.vView(ctx, il, nKv, 1, size, 0),
                in.mask(), tensors.transposedV());
    }

    // ---- state ---------------------------------------------------------------------------------------------

    private static final int STATE_TAG = 0x4B564331; // "KVC1"

    /**
     * Layout: tag, layer count, K and V types and row widths, the number of positions, the positions, then per
     * layer the K rows and V rows of those positions in order (V always written per cell, whatever the layout).
     */
    @Override
    public void writeState(int seq, DataOutput out) throws IOException {
        int[] held = cells.cellsOf(seq);
        int[] pos = new int[held.length];
        for (int i = 0; i < held.length; i++) {
            pos[i] = cells.position(held[i]);
        }
        tensors.writeState(STATE_TAG, pos, held, out);
    }

    @Override
    public void readState(int seq, DataInput in) throws IOException {
        if (nextPosition(seq) != 0) {
            throw new IllegalStateException("state is restored into an empty sequence only");
        }
        int[] pos = tensors.readPositions(STATE_TAG, in, size, "the KV cache");
        int n = pos.length;
        int[] target = cells.free(n);
        if (target == null) {
            int free = size - cells.used();
            throw new ContextOverflowException("the state needs " + n + " cells but only " + free
                    + " of the KV cache's " + size + " are free", n, free);
        }
        tensors.readRows(target, in);
        for (int i = 0; i < n; i++) {
            cells.assign(target[i], pos[i], seq);
        }
    }

    @Override
    public void close() {
        tensors.close();
        arena.close();
    }
}
