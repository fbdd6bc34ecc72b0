package io.github.ggml4j.memory;

import io.github.ggml4j.ModelException;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.nativ.GgmlContext;
import io.github.ggml4j.runtime.Batch;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

/**
 * Interleaved sliding-window attention (llama.cpp's iSWA: Gemma 2/3, OLMo 3, Cohere 2 ...): some layers see
 * the last W positions, the others every position. Two caches, one memory: the windowed layers keep theirs in
 * a {@link RollingKvCache} of W slots per sequence (or, as the reference layout, a {@link KvCache} with the
 * window in its mask), the dense layers in a full {@link KvCache}. Every sequence operation goes to both, so
 * both always hold the same sequences and positions; attention of layer il reads the cache that serves it.
 *
 * <p>The graph layout of a batch is the full cache's attended cells plus the windowed cache's own layout and
 * attended cells, packed into {@link Slots#layout()} so the graph-reuse key covers both.
 */
public final class InterleavedKvCache implements Memory, KvStore {

    private static final int STATE_TAG = 0x49535731; // "ISW1"

    record Inputs(GraphInputs full, GraphInputs windowed) implements GraphInputs {
    }

    private final Memory windowed;
    private final KvCache full;
    private final boolean[] swa;
    private final int[] local;
    private final int window;
    private final int nSwa;
    private Slots lastFull;
    private Slots lastWindowed;

    InterleavedKvCache(MemorySpec spec) {
        HParams hp = spec.hparams();
        int n = hp.nLayer();
        this.swa = new boolean[n];
        this.local = new int[n];
        int w = 0;
        int f = 0;
        for (int il = 0; il < n; il++) {
            swa[il] = hp.isSwa(il);
            local[il] = swa[il] ? w++ : f++;
        }
        this.nSwa = w;
        this.window = spec.window();
        MemorySpec ws = AttentionMemory.part(spec, true);
        MemorySpec fs = AttentionMemory.part(spec, false);
        this.windowed = AttentionMemory.create(ws);
        try {
            this.full = (KvCache) AttentionMemory.create(fs);
        } catch (RuntimeException e) {
            windowed.close();
            throw e;
        }
    }

    /** Whether layer il reads the windowed cache. */
    public boolean windowed(int il) {
        return swa[il];
    }

    // ---- room ----------------------------------------------------------------------------------------------

    @Override
    public int maxTokensPerSequence() {
        return Math.min(windowed.maxTokensPerSequence(), full.maxTokensPerSequence());
    }

    @Override
    public int maxPositions() {
        return Math.min(windowed.maxPositions(), full.maxPositions());
    }

    @Override
    public boolean canTruncate(int seq, int position) {
        return windowed.canTruncate(seq, position) && full.canTruncate(seq, position);
    }

    @Override
    public boolean sharesPrefixes() {
        return windowed.sharesPrefixes() && full.sharesPrefixes();
    }

    @Override
    public int capacity() {
        return full.capacity();
    }

    @Override
    public int usedCells() {
        return full.usedCells();
    }

    @Override
    public int freeCells() {
        return Math.min(windowed.freeCells(), full.freeCells());
    }

    @Override
    public int nextPosition(int seq) {
        return full.nextPosition(seq);
    }

    @Override
    public long nativeBytes() {
        return windowed.nativeBytes() + full.nativeBytes();
    }

    /** Bytes the windowed layers' cache holds. */
    public long windowedBytes() {
        return windowed.nativeBytes();
    }

    /** Bytes the dense layers' cache holds. */
    public long fullBytes() {
        return full.nativeBytes();
    }

    // ---- placement -----------------------------------------------------------------------------------------

    /** The windowed cache's attended cells and layout, in one int (its layout is 0 or 1). */
    private static int pack(Slots w) {
        return w.attended() * 2 + w.layout();
    }

    @Override
    public Slots worstCase(int maxTokens) {
        Slots f = full.worstCase(maxTokens);
        return new Slots(new int[0], f.attended(), pack(windowed.worstCase(maxTokens)));
    }

    @Override
    public Slots place(Batch batch) {
        Slots f = full.place(batch);
        if (f == null) {
            return null;
        }
        Slots w = windowed.place(batch);
        if (w == null) {
            full.rollback(f);
            return null;
        }
        lastFull = f;
        lastWindowed = w;
        return new Slots(f.cells(), f.attended(), pack(w));
    }

    @Override
    public void rollback(Slots slots) {
        if (lastWindowed != null) {
            windowed.rollback(lastWindowed);
            full.rollback(lastFull);
            lastWindowed = null;
            lastFull = null;
        }
    }

    @Override
    public GraphInputs newInputs(GgmlContext ctx, int nTokens, int attended, int layout, boolean flashAttention) {
        return new Inputs(full.newInputs(ctx, nTokens, attended, 0, flashAttention),
                windowed.newInputs(ctx, nTokens, layout / 2, layout % 2, flashAttention));
    }

    @Override
    public void fillInputs(GraphInputs inputs, Batch batch, Slots slots, boolean causal) {
        Inputs in = (Inputs) inputs;
        full.fillInputs(in.full(), batch, lastFull, causal);
        windowed.fillInputs(in.windowed(), batch, lastWindowed, causal);
    }

    @Override
    public Views storeAndView(MemorySegment ctx, Consumer<MemorySegment> expand, GraphInputs inputs, int il,
                              MemorySegment k, MemorySegment v) {
        Inputs in = (Inputs) inputs;
        return swa[il]
                ? ((KvStore) windowed).storeAndView(ctx, expand, in.windowed(), local[il], k, v)
                : full.storeAndView(ctx, expand, in.full(), local[il], k, v);
    }

    // ---- sequences -----------------------------------------------------------------------------------------

    @Override
    public void removeRange(int seq, int from, int to) {
        if (to < 0 && from > 0 && !windowed.canTruncate(seq, from)) {
            // what is left cannot be kept by the windowed layers, so neither cache keeps it
            from = 0;
        }
        windowed.removeRange(seq, from, to);
        full.removeRange(seq, from, to);
    }

    @Override
    public void copySequence(int src, int dst, int from, int to) {
        windowed.copySequence(src, dst, from, to);
        full.copySequence(src, dst, from, to);
    }

    @Override
    public void keepOnly(int seq) {
        windowed.keepOnly(seq);
        full.keepOnly(seq);
    }

    @Override
    public void clear() {
        windowed.clear();
        full.clear();
    }

    @Override
    public void writeState(int seq, DataOutput out) throws IOException {
        out.writeInt(STATE_TAG);
        out.writeInt(swa.length);
        out.writeInt(nSwa);
        out.writeInt(window);
        full.writeState(seq, out);
        windowed.writeState(seq, out);
    }

    @Override
    public void readState(int seq, DataInput in) throws IOException {
        if (in.readInt() != STATE_TAG) {
            throw new ModelException("the state was not saved from a KV cache with interleaved sliding-window layers");
        }
        int layers = in.readInt();
        int w = in.readInt();
        int win = in.readInt();
        if (layers != swa.length || w != nSwa || win != window) {
            throw new ModelException("the state's cache has " + w + " of " + layers + " layers windowed by " + win
                    + "; this one " + nSwa + " of " + swa.length + " by " + window);
        }
        full.readState(seq, in);
        try {
            windowed.readState(seq, in);
        } catch (IOException | RuntimeException e) {
            full.removeRange(seq, 0, -1);
            throw e;
        }
    }

    @Override
    public String summary() {
        StringBuilder layers = new StringBuilder();
        for (int il = 0; il < swa.length; il++) {
            if (swa[il]) {
                layers.append(layers.isEmpty() ? "" : ",").append(il);
            }
        }
        return "interleaved sliding window " + window + " on " + nSwa + " of " + swa.length + " layers [" + layers
                + "]: " + windowed.summary() + "; dense layers: " + full.summary();
    }

    @Override
    public void close() {
        try {
            windowed.close();
        } finally {
            full.close();
        }
    }
}
