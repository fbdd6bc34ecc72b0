package io.github.ggml4j.memory;

import io.github.ggml4j.NativeException;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.nativ.GgmlContext;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The attention KV cache: per layer a K tensor [n_embd_k_gqa, size] and a V tensor [n_embd_v_gqa, size] (read
 * transposed when flash attention is off, as llama.cpp stores it), in F16 by default. GQA caches hold only the
 * n_head_kv heads; nothing is duplicated per query head.
 *
 * <p>A session's cache holds one sequence: cell i holds position i, so the cells in use are exactly
 * {@code [0, used)}.
 */
public final class KvCache implements Memory {

    /** Cells are padded so the graph shape (and the graph) stays the same across many decode steps. */
    public static final int PAD = 256;

    private final GgmlContext context;
    private final List<MemorySegment> buffers = new ArrayList<>();
    private final MemorySegment[] k;
    private final MemorySegment[] v;
    private final int size;
    private final int capacity;
    private int used;

    /**
     * @param capacity    positions the caller may use (the cache itself is padded up to {@link #PAD})
     * @param layerBufts  buffer type per layer (where that layer's cache lives)
     */
    public KvCache(HParams hp, int capacity, int kType, int vType, MemorySegment[] layerBufts) {
        Objects.requireNonNull(hp);
        if (capacity <= 0) {
            throw new IllegalArgumentException("context size must be positive, got " + capacity);
        }
        if (layerBufts.length != hp.nLayer()) {
            throw new IllegalArgumentException("one buffer type per layer expected");
        }
        this.capacity = capacity;
        this.size = (int) Math.min(Integer.MAX_VALUE - PAD, ((long) capacity + PAD - 1) / PAD * PAD);
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
        } catch (RuntimeException e) {
            close();
            throw e;
        }
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

    /** The K tensor of a layer: [n_embd_k_gqa, size]. */
    public MemorySegment k(int il) {
        return k[il];
    }

    /** The V tensor of a layer: [n_embd_v_gqa, size] (read transposed when built without flash attention). */
    public MemorySegment v(int il) {
        return v[il];
    }

    /** Cells allocated (capacity padded up to {@link #PAD}). */
    public int size() {
        return size;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public int used() {
        return used;
    }

    @Override
    public void clear() {
        used = 0;
    }

    @Override
    public void truncate(int position) {
        if (position < 0 || position > used) {
            throw new IllegalArgumentException("cannot truncate to " + position + "; " + used + " positions are in use");
        }
        used = position;
    }

    /** Records that {@code n} more positions were written (after a successful compute). */
    public void advance(int n) {
        if (n < 0 || used + n > capacity) {
            throw new IllegalStateException("KV cache overflow: " + used + " + " + n + " > " + capacity);
        }
        used += n;
    }

    /**
     * The number of cells a graph attends over when {@code usedAfter} cells will be in use: padded so the
     * graph shape changes only every {@link #PAD} positions.
     */
    public int attendedCells(int usedAfter) {
        long padded = Math.max(PAD, ((long) usedAfter + PAD - 1) / PAD * PAD);
        return (int) Math.min(size, padded);
    }

    /**
     * Writes the causal mask for tokens at positions {@code firstPos..firstPos+nTokens-1} over {@code nKv}
     * cells: 0 where the cell's position is at most the token's, -inf elsewhere. F16 or F32, row per token.
     */
    public static void fillMask(MemorySegment dst, int nKv, int firstPos, int nTokens, boolean f16) {
        if (f16) {
            short negInf = (short) 0xFC00;
            for (int i = 0; i < nTokens; i++) {
                long row = (long) i * nKv * 2;
                int visible = Math.min(nKv, firstPos + i + 1);
                dst.asSlice(row, (long) visible * 2).fill((byte) 0);
                for (int j = visible; j < nKv; j++) {
                    dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, row + j * 2L, negInf);
                }
            }
        } else {
            for (int i = 0; i < nTokens; i++) {
                long row = (long) i * nKv * 4;
                int visible = Math.min(nKv, firstPos + i + 1);
                dst.asSlice(row, (long) visible * 4).fill((byte) 0);
                for (int j = visible; j < nKv; j++) {
                    dst.set(ValueLayout.JAVA_FLOAT_UNALIGNED, row + j * 4L, Float.NEGATIVE_INFINITY);
                }
            }
        }
    }

    @Override
    public void close() {
        for (MemorySegment b : buffers) {
            GgmlLib.ggml_backend_buffer_free(b);
        }
        buffers.clear();
        context.close();
    }


}
