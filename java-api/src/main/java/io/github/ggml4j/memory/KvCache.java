package io.github.ggml4j.memory;

import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.ModelException;
import io.github.ggml4j.NativeException;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.nativ.GgmlContext;
import io.github.ggml4j.nativ.NativeStatus;
import io.github.ggml4j.nativ.Tensors;
import io.github.ggml4j.runtime.Batch;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
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

    private static final short F16_NEG_INF = (short) 0xFC00;

    /** This cache's inputs of one graph. */
    record Inputs(MemorySegment kIdx, MemorySegment vIdx, MemorySegment mask, int nTokens, int attended,
                  boolean flash) implements GraphInputs {
    }

    private final HParams hp;
    private final GgmlContext context;
    private final List<MemorySegment> buffers = new ArrayList<>();
    private final MemorySegment[] k;
    private final MemorySegment[] v;
    private final int kType;
    private final int vType;
    private final boolean transposedV;
    private final int size;
    private final int window;
    private final Cells cells;
    private long bytes;

    // host staging for the inputs, sized for the largest micro-batch
    private final Arena arena = Arena.ofShared();
    private final MemorySegment kIdxHost;
    private final MemorySegment vIdxHost;
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
        if (cells <= 0) {
            throw new IllegalArgumentException("the KV cache needs at least one cell, got " + cells);
        }
        if (layerBufts.length != hp.nLayer()) {
            throw new IllegalArgumentException("one buffer type per layer expected");
        }
        this.hp = hp;
        this.size = cells;
        this.kType = kType;
        this.vType = vType;
        this.transposedV = !flash;
        this.window = window;
        this.cells = new Cells(cells);
        this.k = new MemorySegment[hp.nLayer()];
        this.v = new MemorySegment[hp.nLayer()];
        this.context = GgmlContext.forTensors(2L * hp.nLayer() + 8);
        try {
            for (int il = 0; il < hp.nLayer(); il++) {
                k[il] = context.newTensor(kType, hp.nEmbdKGqa(), size);
                v[il] = context.newTensor(vType, hp.nEmbdVGqa(), size);
                GgmlContext.setName(k[il], "cache_k_l" + il);
                GgmlContext.setName(v[il], "cache_v_l" + il);
            }
            allocate(layerBufts);
            kIdxHost = arena.allocate(8L * maxTokens, 64);
            vIdxHost = arena.allocate(8L * maxTokens * (transposedV ? hp.nEmbdVGqa() : 1), 64);
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

    /** One buffer per distinct buffer type: tensors of layers on the same device share it. */
    private void allocate(MemorySegment[] layerBufts) {
        List<MemorySegment> distinct = new ArrayList<>();
        for (MemorySegment b : layerBufts) {
            if (!distinct.contains(b)) {
                distinct.add(b);
            }
        }
        for (MemorySegment buft : distinct) {
            long total = 0;
            for (int il = 0; il < k.length; il++) {
                if (layerBufts[il].equals(buft)) {
                    total += padded(buft, GgmlLib.ggml_backend_buft_get_alloc_size(buft, k[il]))
                            + padded(buft, GgmlLib.ggml_backend_buft_get_alloc_size(buft, v[il]));
                }
            }
            MemorySegment buf = GgmlLib.ggml_backend_buft_alloc_buffer(buft, total);
            if (buf.equals(MemorySegment.NULL)) {
                throw new NativeException("cannot allocate " + (total >> 20) + " MiB for the KV cache");
            }
            buffers.add(buf);
            bytes += total;
            GgmlLib.ggml_backend_buffer_clear(buf, (byte) 0);
            MemorySegment base = GgmlLib.ggml_backend_buffer_get_base(buf);
            long offset = 0;
            for (int il = 0; il < k.length; il++) {
                if (layerBufts[il].equals(buft)) {
                    offset = place(buf, base, offset, k[il]);
                    offset = place(buf, base, offset, v[il]);
                }
            }
        }
    }

    private static long padded(MemorySegment buft, long n) {
        long align = GgmlLib.ggml_backend_buft_get_alignment(buft);
        return (n + align - 1) / align * align;
    }

    private static long place(MemorySegment buf, MemorySegment base, long offset, MemorySegment t) {
        MemorySegment buft = GgmlLib.ggml_backend_buffer_get_type(buf);
        int st = GgmlLib.ggml_backend_tensor_alloc(buf, t, MemorySegment.ofAddress(base.address() + offset));
        if (st != GgmlLib.GGML_STATUS_SUCCESS()) {
            throw new NativeException("cannot place a KV cache tensor (status " + st + ")");
        }
        return offset + padded(buft, GgmlLib.ggml_backend_buft_get_alloc_size(buft, t));
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
        return bytes;
    }

    @Override
    public int nextPosition(int seq) {
        return cells.nextPosition(seq);
    }

    @Override
    public String summary() {
        return "KV cache of " + size + " cells on " + hp.nLayer() + " layers"
                + (window > 0 ? " with a sliding-window mask of " + window : "") + ", "
                + bytes / size + " bytes per position (" + bytes + " bytes)";
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
        if (flashAttention == transposedV) {
            throw new IllegalStateException("the cache was laid out for flash attention " + !transposedV);
        }
        MemorySegment kIdx = input(ctx, "inp_k_idxs", GgmlLib.GGML_TYPE_I64(), nTokens);
        MemorySegment vIdx = input(ctx, "inp_v_idxs", GgmlLib.GGML_TYPE_I64(),
                transposedV ? (long) nTokens * hp.nEmbdVGqa() : nTokens);
        MemorySegment mask = input(ctx, "inp_kq_mask", flashAttention ? GgmlLib.GGML_TYPE_F16() : GgmlLib.GGML_TYPE_F32(),
                attended, nTokens);
        return new Inputs(kIdx, vIdx, mask, nTokens, attended, flashAttention);
    }

    private static MemorySegment input(GgmlContext ctx, String name, int type, long... ne) {
        MemorySegment t = ctx.newTensor(type, ne);
        GgmlContext.setName(t, name);
        GgmlLib.ggml_set_input(t);
        return t;
    }

    @Override
    public void fillInputs(GraphInputs graphInputs, Batch batch, Slots slots, boolean causal) {
        Inputs in = (Inputs) graphInputs;
        int n = batch.size();
        int[] placed = slots.cells();
        for (int i = 0; i < n; i++) {
            kIdxHost.setAtIndex(ValueLayout.JAVA_LONG, i, placed[i]);
        }
        set(in.kIdx(), kIdxHost, 8L * n);
        if (transposedV) {
            // transposed V: element d of token t goes to row d * size + cell(t)
            int nV = hp.nEmbdVGqa();
            for (int t = 0; t < n; t++) {
                long base = (long) t * nV;
                for (int d = 0; d < nV; d++) {
                    vIdxHost.setAtIndex(ValueLayout.JAVA_LONG, base + d, (long) d * size + placed[t]);
                }
            }
            set(in.vIdx(), vIdxHost, 8L * n * nV);
        } else {
            set(in.vIdx(), kIdxHost, 8L * n);
        }
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
            int pos = batch.position(i);
            int limit = causal ? pos : Integer.MAX_VALUE - 1;
            // with a sliding window only the last `window` positions up to the token's own
            int low = window > 0 ? batch.position(i) - window : Integer.MIN_VALUE;
            if (in.flash()) {
                for (int j = 0; j < nKv; j++) {
                    maskRow16[j] = seenPos[j] <= limit && seenPos[j] > low
                            ? (alibi ? Float.floatToFloat16(-Math.abs(seenPos[j] - pos)) : 0) : F16_NEG_INF;
                }
                MemorySegment.copy(maskRow16, 0, maskHost, ValueLayout.JAVA_SHORT, (long) i * nKv * 2, nKv);
            } else {
                for (int j = 0; j < nKv; j++) {
                    maskRow32[j] = seenPos[j] <= limit && seenPos[j] > low
                            ? (alibi ? -Math.abs(seenPos[j] - pos) : 0f) : Float.NEGATIVE_INFINITY;
                }
                MemorySegment.copy(maskRow32, 0, maskHost, ValueLayout.JAVA_FLOAT, (long) i * nKv * 4, nKv);
            }
        }
        set(in.mask(), maskHost, (long) nKv * n * (in.flash() ? 2 : 4));
    }

    private static void set(MemorySegment tensor, MemorySegment host, long bytes) {
        NativeStatus.check(GgmlLib.ggml4j_tensor_set(tensor, host, 0, bytes), "setting a graph input");
    }

    @Override
    public Views storeAndView(MemorySegment ctx, Consumer<MemorySegment> expand, GraphInputs graphInputs, int il,
                              MemorySegment kCur, MemorySegment vCur) {
        Inputs in = (Inputs) graphInputs;
        int nTokens = in.nTokens();
        int nKv = in.attended();
        int headK = hp.nEmbdHeadK();
        int headV = hp.nEmbdHeadV();
        int nHeadKv = hp.nHeadKv();
        MemorySegment kc = k[il]; // [n_embd_k_gqa, size]
        MemorySegment vc = v[il]; // [n_embd_v_gqa, size], or its transpose

        // store K: [n_embd_k_gqa, n_tokens] rows into the cache rows of this batch's cells
        MemorySegment k2 = GgmlLib.ggml_view_2d(ctx, kCur, hp.nEmbdKGqa(), nTokens, Tensors.nb(kCur, 2), 0);
        expand.accept(GgmlLib.ggml_set_rows(ctx, kc, k2, in.kIdx()));
        if (!transposedV) {
            MemorySegment v2 = GgmlLib.ggml_view_2d(ctx, vCur, hp.nEmbdVGqa(), nTokens, Tensors.nb(vCur, 2), 0);
            expand.accept(GgmlLib.ggml_set_rows(ctx, vc, v2, in.vIdx()));
        } else {
            // transposed V cache: every element is its own row, placed by the per-element indices
            MemorySegment vcont = GgmlLib.ggml_is_contiguous(vCur) ? vCur : GgmlLib.ggml_cont(ctx, vCur);
            MemorySegment vFlat = GgmlLib.ggml_reshape_2d(ctx, vcont, 1, (long) hp.nEmbdVGqa() * nTokens);
            MemorySegment vView = GgmlLib.ggml_reshape_2d(ctx, vc, 1, GgmlLib.ggml_nelements(vc));
            expand.accept(GgmlLib.ggml_set_rows(ctx, vView, vFlat, in.vIdx()));
        }

        // [head_dim, n_head_kv, n_kv] views of the first n_kv cells
        MemorySegment kv = GgmlLib.ggml_view_4d(ctx, kc, headK, nHeadKv, nKv, 1,
                Tensors.rowSize(kType, headK), Tensors.rowSize(kType, hp.nEmbdKGqa()),
                Tensors.rowSize(kType, (long) hp.nEmbdKGqa() * size), 0);
        MemorySegment vv;
        if (!transposedV) {
            vv = GgmlLib.ggml_view_4d(ctx, vc, headV, nHeadKv, nKv, 1,
                    Tensors.rowSize(vType, headV), Tensors.rowSize(vType, hp.nEmbdVGqa()),
                    Tensors.rowSize(vType, (long) hp.nEmbdVGqa() * size), 0);
        } else {
            // [n_kv, n_head_kv, head_dim_v]: the transposed layout
            vv = GgmlLib.ggml_view_4d(ctx, vc, nKv, nHeadKv, headV, 1,
                    Tensors.rowSize(vType, (long) size * headV), Tensors.rowSize(vType, size),
                    Tensors.rowSize(vType, (long) size * hp.nEmbdVGqa()), 0);
        }
        return new Views(kv, vv, in.mask(), transposedV);
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
        out.writeInt(STATE_TAG);
        out.writeInt(hp.nLayer());
        out.writeInt(kType);
        out.writeInt(vType);
        out.writeInt(hp.nEmbdKGqa());
        out.writeInt(hp.nEmbdVGqa());
        out.writeInt(held.length);
        for (int c : held) {
            out.writeInt(cells.position(c));
        }
        long kRow = Tensors.rowSize(kType, hp.nEmbdKGqa());
        long vRow = Tensors.rowSize(vType, hp.nEmbdVGqa());
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment host = tmp.allocate(Math.max(kRow, transposedV ? Tensors.nbytes(v[0]) : vRow), 64);
            byte[] row = new byte[(int) Math.max(kRow, vRow)];
            for (int il = 0; il < hp.nLayer(); il++) {
                for (int c : held) {
                    NativeStatus.check(GgmlLib.ggml4j_tensor_get(k[il], host, c * kRow, kRow), "reading the KV cache");
                    MemorySegment.copy(host, ValueLayout.JAVA_BYTE, 0, row, 0, (int) kRow);
                    out.write(row, 0, (int) kRow);
                }
                if (transposedV) {
                    NativeStatus.check(GgmlLib.ggml4j_tensor_get(v[il], host, 0, Tensors.nbytes(v[il])), "reading the KV cache");
                    int elem = (int) Tensors.rowSize(vType, 1);
                    for (int c : held) {
                        for (int d = 0; d < hp.nEmbdVGqa(); d++) {
                            MemorySegment.copy(host, ValueLayout.JAVA_BYTE, ((long) d * size + c) * elem, row, d * elem, elem);
                        }
                        out.write(row, 0, (int) vRow);
                    }
                } else {
                    for (int c : held) {
                        NativeStatus.check(GgmlLib.ggml4j_tensor_get(v[il], host, c * vRow, vRow), "reading the KV cache");
                        MemorySegment.copy(host, ValueLayout.JAVA_BYTE, 0, row, 0, (int) vRow);
                        out.write(row, 0, (int) vRow);
                    }
                }
            }
        }
    }

    @Override
    public void readState(int seq, DataInput in) throws IOException {
        if (in.readInt() != STATE_TAG) {
            throw new ModelException("the state's KV cache section is damaged");
        }
        int nLayer = in.readInt();
        int kt = in.readInt();
        int vt = in.readInt();
        int kw = in.readInt();
        int vw = in.readInt();
        if (nLayer != hp.nLayer() || kw != hp.nEmbdKGqa() || vw != hp.nEmbdVGqa()) {
            throw new ModelException("the state's KV cache has " + nLayer + " layers of widths " + kw + "/" + vw
                    + ", this model " + hp.nLayer() + " of " + hp.nEmbdKGqa() + "/" + hp.nEmbdVGqa());
        }
        if (kt != kType || vt != vType) {
            throw new ModelException("the state was saved with a KV cache of types " + kt + "/" + vt
                    + "; this model's cache uses " + kType + "/" + vType);
        }
        int n = in.readInt();
        if (n < 0 || n > size) {
            throw new ContextOverflowException("the state holds " + n + " positions; the KV cache has " + size
                    + " cells", Math.max(n, 0), size);
        }
        if (nextPosition(seq) != 0) {
            throw new IllegalStateException("state is restored into an empty sequence only");
        }
        int[] pos = new int[n];
        for (int i = 0; i < n; i++) {
            pos[i] = in.readInt();
            if (pos[i] < 0 || (i > 0 && pos[i] <= pos[i - 1])) {
                throw new ModelException("the state's positions are damaged");
            }
        }
        int[] target = cells.free(n);
        if (target == null) {
            int free = size - cells.used();
            throw new ContextOverflowException("the state needs " + n + " cells but only " + free
                    + " of the KV cache's " + size + " are free", n, free);
        }
        long kRow = Tensors.rowSize(kType, hp.nEmbdKGqa());
        long vRow = Tensors.rowSize(vType, hp.nEmbdVGqa());
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment host = tmp.allocate(Math.max(kRow, vRow), 64);
            MemorySegment whole = transposedV ? tmp.allocate(Tensors.nbytes(v[0]), 64) : null;
            byte[] row = new byte[(int) Math.max(kRow, vRow)];
            int elem = (int) Tensors.rowSize(vType, 1);
            for (int il = 0; il < nLayer; il++) {
                for (int c : target) {
                    in.readFully(row, 0, (int) kRow);
                    MemorySegment.copy(row, 0, host, ValueLayout.JAVA_BYTE, 0, (int) kRow);
                    NativeStatus.check(GgmlLib.ggml4j_tensor_set(k[il], host, c * kRow, kRow), "writing the KV cache");
                }
                if (transposedV) {
                    // scatter every cell's values into the transposed layout, then write the tensor once
                    NativeStatus.check(GgmlLib.ggml4j_tensor_get(v[il], whole, 0, whole.byteSize()), "reading the KV cache");
                    for (int c : target) {
                        in.readFully(row, 0, (int) vRow);
                        for (int d = 0; d < vw; d++) {
                            MemorySegment.copy(row, d * elem, whole, ValueLayout.JAVA_BYTE, ((long) d * size + c) * elem, elem);
                        }
                    }
                    NativeStatus.check(GgmlLib.ggml4j_tensor_set(v[il], whole, 0, whole.byteSize()), "writing the KV cache");
                } else {
                    for (int c : target) {
                        in.readFully(row, 0, (int) vRow);
                        MemorySegment.copy(row, 0, host, ValueLayout.JAVA_BYTE, 0, (int) vRow);
                        NativeStatus.check(GgmlLib.ggml4j_tensor_set(v[il], host, c * vRow, vRow), "writing the KV cache");
                    }
                }
            }
        }
        for (int i = 0; i < n; i++) {
            cells.assign(target[i], pos[i], seq);
        }
    }

    @Override
    public void close() {
        for (MemorySegment b : buffers) {
            GgmlLib.ggml_backend_buffer_free(b);
        }
        buffers.clear();
        context.close();
        arena.close();
    }
}
