package io.github.ggml4j.memory;

import io.github.ggml4j.ModelException;
import io.github.ggml4j.NativeException;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.nativ.GgmlContext;
import io.github.ggml4j.nativ.NativeStatus;
import io.github.ggml4j.nativ.Tensors;

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
 * The tensors of a cell-based KV cache and what is done to their rows: per layer K [n_embd_k_gqa, size] and V
 * [n_embd_v_gqa, size] (transposed when flash attention is off, as llama.cpp stores it), one buffer per buffer
 * type; the graph's writes into cells, views of a range of cells (as one run, or as equal streams), and the
 * copies of rows to a state, from a state and between cells. Cell bookkeeping stays with the cache.
 */
final class KvTensors implements AutoCloseable {

    private final HParams hp;
    private final GgmlContext context;
    private final List<MemorySegment> buffers = new ArrayList<>();
    private final MemorySegment[] k;
    private final MemorySegment[] v;
    private final int kType;
    private final int vType;
    private final boolean transposedV;
    private final int size;
    private long bytes;

    // host staging for the cell indices, sized for the largest micro-batch
    private final Arena arena = Arena.ofShared();
    private final MemorySegment kIdxHost;
    private final MemorySegment vIdxHost;

    KvTensors(HParams hp, int size, int maxTokens, int kType, int vType, boolean flash, MemorySegment[] layerBufts) {
        this(hp, size, maxTokens, kType, vType, flash, layerBufts, "cache");
    }

    /** @param name the tensors' name prefix ({@code <name>_k_l<il>}) */
    KvTensors(HParams hp, int size, int maxTokens, int kType, int vType, boolean flash, MemorySegment[] layerBufts,
              String name) {
        if (size <= 0) {
            throw new IllegalArgumentException("the KV cache needs at least one cell, got " + size);
        }
        if (layerBufts.length != hp.nLayer()) {
            throw new IllegalArgumentException("one buffer type per layer expected");
        }
        this.hp = hp;
        this.size = size;
        this.kType = kType;
        this.vType = vType;
        this.transposedV = !flash;
        this.k = new MemorySegment[hp.nLayer()];
        this.v = new MemorySegment[hp.nLayer()];
        this.context = GgmlContext.forTensors(2L * hp.nLayer() + 8);
        try {
            for (int il = 0; il < hp.nLayer(); il++) {
                k[il] = context.newTensor(kType, hp.nEmbdKGqa(), size);
                v[il] = context.newTensor(vType, hp.nEmbdVGqa(), size);
                GgmlContext.setName(k[il], name + "_k_l" + il);
                GgmlContext.setName(v[il], name + "_v_l" + il);
            }
            allocate(layerBufts);
            kIdxHost = arena.allocate(8L * maxTokens, 64);
            vIdxHost = arena.allocate(8L * maxTokens * (transposedV ? hp.nEmbdVGqa() : 1), 64);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Layer {@code il}'s K tensor [n_embd_k_gqa, size]. */
    MemorySegment k(int il) {
        return k[il];
    }

    /** Layer {@code il}'s V tensor [n_embd_v_gqa, size] (or its transpose). */
    MemorySegment v(int il) {
        return v[il];
    }

    boolean transposedV() {
        return transposedV;
    }

    long bytes() {
        return bytes;
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

    // ---- the graph -----------------------------------------------------------------------------------------

    /** The index inputs of a graph's writes: K rows per token, V rows (per element when transposed). */
    MemorySegment[] newIndexInputs(GgmlContext ctx, int nTokens) {
        MemorySegment kIdx = input(ctx, "inp_k_idxs", GgmlLib.GGML_TYPE_I64(), nTokens);
        MemorySegment vIdx = input(ctx, "inp_v_idxs", GgmlLib.GGML_TYPE_I64(),
                transposedV ? (long) nTokens * hp.nEmbdVGqa() : nTokens);
        return new MemorySegment[] {kIdx, vIdx};
    }

    static MemorySegment input(GgmlContext ctx, String name, int type, long... ne) {
        MemorySegment t = ctx.newTensor(type, ne);
        GgmlContext.setName(t, name);
        GgmlLib.ggml_set_input(t);
        return t;
    }

    /** Fills the index inputs for tokens placed in {@code placed[0..n)}. */
    void fillIndices(MemorySegment kIdx, MemorySegment vIdx, int[] placed, int n) {
        for (int i = 0; i < n; i++) {
            kIdxHost.setAtIndex(ValueLayout.JAVA_LONG, i, placed[i]);
        }
        set(kIdx, kIdxHost, 8L * n);
        if (transposedV) {
            // transposed V: element d of token t goes to row d * size + cell(t)
            int nV = hp.nEmbdVGqa();
            for (int t = 0; t < n; t++) {
                long base = (long) t * nV;
                for (int d = 0; d < nV; d++) {
                    vIdxHost.setAtIndex(ValueLayout.JAVA_LONG, base + d, (long) d * size + placed[t]);
                }
            }
            set(vIdx, vIdxHost, 8L * n * nV);
        } else {
            set(vIdx, kIdxHost, 8L * n);
        }
    }

    static void set(MemorySegment tensor, MemorySegment host, long bytes) {
        NativeStatus.check(GgmlLib.ggml4j_tensor_set(tensor, host, 0, bytes), "setting a graph input");
    }

    /** Adds the writes of this micro-batch's K and V of layer {@code il} into the cells the indices name. */
    void store(MemorySegment ctx, Consumer<MemorySegment> expand, MemorySegment kIdx, MemorySegment vIdx, int il,
               MemorySegment kCur, MemorySegment vCur, int nTokens) {
        // K: [n_embd_k_gqa, n_tokens] rows into the cache rows of this batch's cells
        MemorySegment k2 = GgmlLib.ggml_view_2d(ctx, kCur, hp.nEmbdKGqa(), nTokens, Tensors.nb(kCur, 2), 0);
        expand.accept(GgmlLib.ggml_set_rows(ctx, k[il], k2, kIdx));
        if (!transposedV) {
            MemorySegment v2 = GgmlLib.ggml_view_2d(ctx, vCur, hp.nEmbdVGqa(), nTokens, Tensors.nb(vCur, 2), 0);
            expand.accept(GgmlLib.ggml_set_rows(ctx, v[il], v2, vIdx));
        } else {
            // transposed V cache: every element is its own row, placed by the per-element indices
            MemorySegment vcont = GgmlLib.ggml_is_contiguous(vCur) ? vCur : GgmlLib.ggml_cont(ctx, vCur);
            MemorySegment vFlat = GgmlLib.ggml_reshape_2d(ctx, vcont, 1, (long) hp.nEmbdVGqa() * nTokens);
            MemorySegment vView = GgmlLib.ggml_reshape_2d(ctx, v[il], 1, GgmlLib.ggml_nelements(v[il]));
            expand.accept(GgmlLib.ggml_set_rows(ctx, vView, vFlat, vIdx));
        }
    }

    /**
     * K of layer {@code il} as [head_dim, n_head_kv, n_kv, n_stream]: {@code n_kv} cells from each of
     * {@code nStreams} equal streams of {@code streamCells} cells, the first starting at cell {@code first}.
     */
    MemorySegment kView(MemorySegment ctx, int il, int nKv, int nStreams, int streamCells, int first) {
        return GgmlLib.ggml_view_4d(ctx, k[il], hp.nEmbdHeadK(), hp.nHeadKv(), nKv, nStreams,
                Tensors.rowSize(kType, hp.nEmbdHeadK()), Tensors.rowSize(kType, hp.nEmbdKGqa()),
                Tensors.rowSize(kType, (long) hp.nEmbdKGqa() * streamCells),
                Tensors.rowSize(kType, (long) hp.nEmbdKGqa() * first));
    }

    /**
     * V of layer {@code il} over the same cells: [head_dim_v, n_head_kv, n_kv, n_stream], or
     * [n_kv, n_head_kv, head_dim_v, n_stream] when transposed.
     */
    MemorySegment vView(MemorySegment ctx, int il, int nKv, int nStreams, int streamCells, int first) {
        int headV = hp.nEmbdHeadV();
        if (!transposedV) {
            return GgmlLib.ggml_view_4d(ctx, v[il], headV, hp.nHeadKv(), nKv, nStreams,
                    Tensors.rowSize(vType, headV), Tensors.rowSize(vType, hp.nEmbdVGqa()),
                    Tensors.rowSize(vType, (long) hp.nEmbdVGqa() * streamCells),
                    Tensors.rowSize(vType, (long) hp.nEmbdVGqa() * first));
        }
        // element d of cell c at d * size + c
        return GgmlLib.ggml_view_4d(ctx, v[il], nKv, hp.nHeadKv(), headV, nStreams,
                Tensors.rowSize(vType, (long) size * headV), Tensors.rowSize(vType, size),
                Tensors.rowSize(vType, streamCells), Tensors.rowSize(vType, first));
    }

    // ---- rows: state and copies ----------------------------------------------------------------------------

    /** Layer count, K and V types and row widths: what a state must match. */
    void writeHeader(DataOutput out) throws IOException {
        out.writeInt(hp.nLayer());
        out.writeInt(kType);
        out.writeInt(vType);
        out.writeInt(hp.nEmbdKGqa());
        out.writeInt(hp.nEmbdVGqa());
    }

    /** Reads and checks what {@link #writeHeader} wrote. */
    void checkHeader(DataInput in) throws IOException {
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
    }

    /**
     * A cache's state section: {@code tag}, the header, the number of positions, the positions, then the rows of
     * {@code cells} (which hold those positions, in that order).
     */
    void writeState(int tag, int[] positions, int[] cells, DataOutput out) throws IOException {
        out.writeInt(tag);
        writeHeader(out);
        out.writeInt(positions.length);
        for (int p : positions) {
            out.writeInt(p);
        }
        writeRows(cells, out);
    }

    /**
     * Reads a section {@link #writeState} wrote up to its rows: checks the tag and header, and returns the
     * positions (at most {@code limit}, increasing); the caller finds cells for them and reads the rows.
     *
     * @param where what holds at most {@code limit} cells, for the error ("the KV cache")
     */
    int[] readPositions(int tag, DataInput in, int limit, String where) throws IOException {
        if (in.readInt() != tag) {
            throw new ModelException("the state's KV cache section is damaged");
        }
        checkHeader(in);
        int n = in.readInt();
        if (n < 0 || n > limit) {
            throw new io.github.ggml4j.ContextOverflowException("the state holds " + n + " positions; " + where
                    + " has " + limit + " cells", Math.max(n, 0), limit);
        }
        int[] pos = new int[n];
        for (int i = 0; i < n; i++) {
            pos[i] = in.readInt();
            if (pos[i] < 0 || (i > 0 && pos[i] <= pos[i - 1])) {
                throw new ModelException("the state's positions are damaged");
            }
        }
        return pos;
    }

    /** Per layer the K rows, then the V rows, of {@code cells} in order (V always per cell). */
    void writeRows(int[] cells, DataOutput out) throws IOException {
        long kRow = Tensors.rowSize(kType, hp.nEmbdKGqa());
        long vRow = Tensors.rowSize(vType, hp.nEmbdVGqa());
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment host = tmp.allocate(Math.max(kRow, transposedV ? Tensors.nbytes(v[0]) : vRow), 64);
            byte[] row = new byte[(int) Math.max(kRow, vRow)];
            int elem = (int) Tensors.rowSize(vType, 1);
            for (int il = 0; il < hp.nLayer(); il++) {
                for (int c : cells) {
                    get(k[il], host, c * kRow, kRow);
                    MemorySegment.copy(host, ValueLayout.JAVA_BYTE, 0, row, 0, (int) kRow);
                    out.write(row, 0, (int) kRow);
                }
                if (transposedV) {
                    get(v[il], host, 0, Tensors.nbytes(v[il]));
                    for (int c : cells) {
                        for (int d = 0; d < hp.nEmbdVGqa(); d++) {
                            MemorySegment.copy(host, ValueLayout.JAVA_BYTE, ((long) d * size + c) * elem, row, d * elem, elem);
                        }
                        out.write(row, 0, (int) vRow);
                    }
                } else {
                    for (int c : cells) {
                        get(v[il], host, c * vRow, vRow);
                        MemorySegment.copy(host, ValueLayout.JAVA_BYTE, 0, row, 0, (int) vRow);
                        out.write(row, 0, (int) vRow);
                    }
                }
            }
        }
    }

    /** Reads rows written by {@link #writeRows} into {@code cells}. */
    void readRows(int[] cells, DataInput in) throws IOException {
        long kRow = Tensors.rowSize(kType, hp.nEmbdKGqa());
        long vRow = Tensors.rowSize(vType, hp.nEmbdVGqa());
        int vw = hp.nEmbdVGqa();
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment host = tmp.allocate(Math.max(kRow, vRow), 64);
            MemorySegment whole = transposedV ? tmp.allocate(Tensors.nbytes(v[0]), 64) : null;
            byte[] row = new byte[(int) Math.max(kRow, vRow)];
            int elem = (int) Tensors.rowSize(vType, 1);
            for (int il = 0; il < hp.nLayer(); il++) {
                for (int c : cells) {
                    in.readFully(row, 0, (int) kRow);
                    MemorySegment.copy(row, 0, host, ValueLayout.JAVA_BYTE, 0, (int) kRow);
                    put(k[il], host, c * kRow, kRow);
                }
                if (transposedV) {
                    // scatter every cell's values into the transposed layout, then write the tensor once
                    get(v[il], whole, 0, whole.byteSize());
                    for (int c : cells) {
                        in.readFully(row, 0, (int) vRow);
                        for (int d = 0; d < vw; d++) {
                            MemorySegment.copy(row, d * elem, whole, ValueLayout.JAVA_BYTE, ((long) d * size + c) * elem, elem);
                        }
                    }
                    put(v[il], whole, 0, whole.byteSize());
                } else {
                    for (int c : cells) {
                        in.readFully(row, 0, (int) vRow);
                        MemorySegment.copy(row, 0, host, ValueLayout.JAVA_BYTE, 0, (int) vRow);
                        put(v[il], host, c * vRow, vRow);
                    }
                }
            }
        }
    }

    /** Copies the K and V rows of cells {@code from[i]} into cells {@code to[i]} on every layer. */
    void copyRows(int[] from, int[] to) {
        long kRow = Tensors.rowSize(kType, hp.nEmbdKGqa());
        long vRow = Tensors.rowSize(vType, hp.nEmbdVGqa());
        int elem = (int) Tensors.rowSize(vType, 1);
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment host = tmp.allocate(Math.max(kRow, transposedV ? Tensors.nbytes(v[0]) : vRow), 64);
            for (int il = 0; il < hp.nLayer(); il++) {
                for (int i = 0; i < from.length; i++) {
                    get(k[il], host, from[i] * kRow, kRow);
                    put(k[il], host, to[i] * kRow, kRow);
                }
                if (transposedV) {
                    get(v[il], host, 0, Tensors.nbytes(v[il]));
                    for (int i = 0; i < from.length; i++) {
                        for (int d = 0; d < hp.nEmbdVGqa(); d++) {
                            MemorySegment.copy(host, ((long) d * size + from[i]) * elem, host,
                                    ((long) d * size + to[i]) * elem, elem);
                        }
                    }
                    put(v[il], host, 0, Tensors.nbytes(v[il]));
                } else {
                    for (int i = 0; i < from.length; i++) {
                        get(v[il], host, from[i] * vRow, vRow);
                        put(v[il], host, to[i] * vRow, vRow);
                    }
                }
            }
        }
    }

    private static void get(MemorySegment t, MemorySegment host, long offset, long n) {
        NativeStatus.check(GgmlLib.ggml4j_tensor_get(t, host, offset, n), "reading the KV cache");
    }

    private static void put(MemorySegment t, MemorySegment host, long offset, long n) {
        NativeStatus.check(GgmlLib.ggml4j_tensor_set(t, host, offset, n), "writing the KV cache");
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
