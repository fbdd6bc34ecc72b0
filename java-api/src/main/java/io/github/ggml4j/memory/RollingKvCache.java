package io.github.ggml4j.memory;

import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.ModelException;
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
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The rolling-buffer KV cache of sliding-window attention (Mistral 7B): each sequence owns a block of exactly
 * W slots per layer and position i lives in slot i mod W, so its memory stays W slots however long it grows.
 * Keys are stored rotated at their absolute positions, and the mask is built from absolute positions, so a
 * token at p sees exactly the positions (p - W, p].
 *
 * <p>Two graph layouts. When every sequence of a step has one token (generation), the token's slot holds the
 * position that just left its window: it is written first and attention reads the rings. A chunk of a prompt
 * (at most W tokens of one sequence) would overwrite slots its earlier tokens still need, so it attends over
 * the rings plus its own keys and values taken from the graph, and is written into the rings after attention.
 */
public final class RollingKvCache implements Memory, KvStore {

    static final int DECODE = 0;
    static final int CHUNK = 1;

    private static final short F16_NEG_INF = (short) 0xFC00;

    record Inputs(MemorySegment kIdx, MemorySegment mask, int nTokens, int attended, int layout, boolean flash)
            implements GraphInputs {
    }

    private final HParams hp;
    private final int window;
    private final int blocks;
    private final int size;
    private final int kType;
    private final int vType;
    private final KvTensors tensors;
    private final int[] slotPos;
    private final int[] blockSeq;
    private final Map<Integer, Integer> seqBlock = new HashMap<>();

    // the one placement not yet computed: what it overwrote and which blocks it took
    private int[] lastTargets = new int[0];
    private int[] lastPrev = new int[0];
    private final List<Integer> lastNewBlocks = new ArrayList<>();

    private final Arena arena = Arena.ofShared();
    private final MemorySegment kIdxHost;
    private final MemorySegment maskHost;

    public RollingKvCache(MemorySpec spec) {
        this.hp = spec.hparams();
        this.window = spec.window();
        int t = spec.kvType().id();
        this.kType = t;
        this.vType = t;
        this.blocks = Math.max(1, spec.cells() / window);
        this.size = blocks * window;
        this.slotPos = new int[size];
        Arrays.fill(slotPos, -1);
        this.blockSeq = new int[blocks];
        Arrays.fill(blockSeq, -1);
        // rings are read as they are stored: V untransposed whatever the attention path
        this.tensors = new KvTensors(hp, size, spec.maxTokens(), kType, vType, true, spec.layerBufts(), "ring");
        try {
            int maxTokens = spec.maxTokens();
            kIdxHost = arena.allocate(8L * maxTokens, 64);
            maskHost = arena.allocate(4L * maxTokens * (size + maxTokens), 64);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The window: slots per sequence. */
    public int window() {
        return window;
    }

    // ---- slots ---------------------------------------------------------------------------------------------

    @Override
    public int capacity() {
        return size;
    }

    @Override
    public int usedCells() {
        return seqBlock.size() * window;
    }

    @Override
    public int freeCells() {
        // a sequence always has room in its own ring; new sequences need a free block (checked in place)
        return Integer.MAX_VALUE / 4;
    }

    @Override
    public int maxTokensPerSequence() {
        return window;
    }

    @Override
    public int maxPositions() {
        return Integer.MAX_VALUE;
    }

    @Override
    public boolean sharesPrefixes() {
        return false;
    }

    @Override
    public long nativeBytes() {
        return tensors.bytes();
    }

    @Override
    public String summary() {
        return "rolling KV cache of " + window + " slots per sequence on " + hp.nLayer() + " layers, " + blocks
                + " sequences, " + tensors.bytes() / blocks + " bytes per sequence (" + tensors.bytes() + " bytes)";
    }

    @Override
    public int nextPosition(int seq) {
        Integer b = seqBlock.get(seq);
        if (b == null) {
            return 0;
        }
        int max = -1;
        for (int j = b * window; j < (b + 1) * window; j++) {
            max = Math.max(max, slotPos[j]);
        }
        return max + 1;
    }

    private int usedBlocks() {
        int top = blocks - 1;
        while (top >= 0 && blockSeq[top] < 0) {
            top--;
        }
        return top + 1;
    }

    private int blockFor(int seq) {
        Integer b = seqBlock.get(seq);
        if (b != null) {
            return b;
        }
        for (int i = 0; i < blocks; i++) {
            if (blockSeq[i] < 0) {
                blockSeq[i] = seq;
                seqBlock.put(seq, i);
                lastNewBlocks.add(i);
                return i;
            }
        }
        return -1;
    }

    @Override
    public Slots place(Batch batch) {
        int n = batch.size();
        lastNewBlocks.clear();
        Map<Integer, Integer> perSeq = new HashMap<>();
        int[] targets = new int[n];
        for (int i = 0; i < n; i++) {
            int b = blockFor(batch.seq(i));
            if (b < 0) {
                freeNewBlocks();
                return null;
            }
            targets[i] = b * window + Math.floorMod(batch.position(i), window);
            perSeq.merge(batch.seq(i), 1, Integer::sum);
        }
        boolean chunk = perSeq.values().stream().anyMatch(c -> c > 1);
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = slotPos[targets[i]];
            slotPos[targets[i]] = batch.position(i);
        }
        lastTargets = targets;
        lastPrev = prev;
        int ring = usedBlocks() * window;
        return new Slots(targets, chunk ? ring + n : ring, chunk ? CHUNK : DECODE);
    }

    private void freeNewBlocks() {
        for (int b : lastNewBlocks) {
            seqBlock.remove(blockSeq[b]);
            blockSeq[b] = -1;
        }
        lastNewBlocks.clear();
    }

    @Override
    public void rollback(Slots slots) {
        for (int i = lastTargets.length - 1; i >= 0; i--) {
            slotPos[lastTargets[i]] = lastPrev[i];
        }
        freeNewBlocks();
    }

    @Override
    public Slots worstCase(int maxTokens) {
        return new Slots(new int[0], size + maxTokens, CHUNK);
    }

    @Override
    public boolean canTruncate(int seq, int position) {
        int next = nextPosition(seq);
        if (position <= 0 || position >= next) {
            return true;
        }
        Integer b = seqBlock.get(seq);
        // the next token (at position) needs (position - W, position) still in the ring
        for (int q = Math.max(0, position - window + 1); q < position; q++) {
            if (slotPos[b * window + q % window] != q) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void removeRange(int seq, int from, int to) {
        Integer b = seqBlock.get(seq);
        if (b == null) {
            return;
        }
        if (to >= 0 && to < nextPosition(seq)) {
            throw new IllegalArgumentException("a rolling-buffer cache forgets only up to the end of a sequence");
        }
        if (from <= 0 || !canTruncate(seq, from)) {
            for (int j = b * window; j < (b + 1) * window; j++) {
                slotPos[j] = -1;
            }
            blockSeq[b] = -1;
            seqBlock.remove(seq);
            return;
        }
        for (int j = b * window; j < (b + 1) * window; j++) {
            if (slotPos[j] >= from) {
                slotPos[j] = -1;
            }
        }
    }

    /** A fork copies the source's ring (rings diverge as soon as both go on, so they cannot be shared). */
    @Override
    public void copySequence(int src, int dst, int from, int to) {
        if (from > 0 || to >= 0) {
            throw new IllegalArgumentException("a rolling-buffer cache copies whole sequences only");
        }
        Integer sb = seqBlock.get(src);
        if (sb == null) {
            return;
        }
        lastNewBlocks.clear();
        int db = blockFor(dst);
        lastNewBlocks.clear();
        if (db < 0) {
            throw new ContextOverflowException("no free block of " + window + " slots for another sequence ("
                    + blocks + " in all)", window, 0);
        }
        System.arraycopy(slotPos, sb * window, slotPos, db * window, window);
        try (Arena tmp = Arena.ofConfined()) {
            for (int il = 0; il < hp.nLayer(); il++) {
                copyRows(tmp, tensors.k(il), Tensors.rowSize(kType, hp.nEmbdKGqa()), sb, db);
                copyRows(tmp, tensors.v(il), Tensors.rowSize(vType, hp.nEmbdVGqa()), sb, db);
            }
        }
    }

    private void copyRows(Arena tmp, MemorySegment t, long row, int from, int to) {
        long n = row * window;
        MemorySegment host = tmp.allocate(n, 64);
        NativeStatus.check(GgmlLib.ggml4j_tensor_get(t, host, from * n, n), "reading the rolling cache");
        NativeStatus.check(GgmlLib.ggml4j_tensor_set(t, host, to * n, n), "writing the rolling cache");
    }

    @Override
    public void keepOnly(int seq) {
        for (int b = 0; b < blocks; b++) {
            if (blockSeq[b] >= 0 && blockSeq[b] != seq) {
                removeRange(blockSeq[b], 0, -1);
            }
        }
    }

    @Override
    public void clear() {
        Arrays.fill(slotPos, -1);
        Arrays.fill(blockSeq, -1);
        seqBlock.clear();
    }

    // ---- graph ---------------------------------------------------------------------------------------------

    @Override
    public GraphInputs newInputs(GgmlContext ctx, int nTokens, int attended, int layout, boolean flashAttention) {
        MemorySegment kIdx = ctx.newTensor(GgmlLib.GGML_TYPE_I64(), nTokens);
        GgmlContext.setName(kIdx, "inp_ring_idxs");
        GgmlLib.ggml_set_input(kIdx);
        MemorySegment mask = ctx.newTensor(flashAttention ? GgmlLib.GGML_TYPE_F16() : GgmlLib.GGML_TYPE_F32(),
                attended, nTokens);
        GgmlContext.setName(mask, "inp_swa_mask");
        GgmlLib.ggml_set_input(mask);
        return new Inputs(kIdx, mask, nTokens, attended, layout, flashAttention);
    }

    @Override
    public void fillInputs(GraphInputs graphInputs, Batch batch, Slots slots, boolean causal) {
        Inputs in = (Inputs) graphInputs;
        int n = batch.size();
        for (int i = 0; i < n; i++) {
            kIdxHost.setAtIndex(ValueLayout.JAVA_LONG, i, slots.cells()[i]);
        }
        NativeStatus.check(GgmlLib.ggml4j_tensor_set(in.kIdx(), kIdxHost, 0, 8L * n), "setting a graph input");
        boolean chunk = in.layout() == CHUNK;
        int ring = chunk ? in.attended() - n : in.attended();
        // what the rings hold when attention reads them: before this batch's writes for a chunk
        int[] ringPos = Arrays.copyOf(slotPos, ring);
        if (chunk) {
            for (int i = 0; i < lastTargets.length; i++) {
                if (lastTargets[i] < ring) {
                    ringPos[lastTargets[i]] = lastPrev[i];
                }
            }
        }
        int cols = in.attended();
        short[] row16 = new short[cols];
        float[] row32 = new float[cols];
        for (int i = 0; i < n; i++) {
            int seq = batch.seq(i);
            int p = batch.position(i);
            int block = seqBlock.get(seq);
            for (int j = 0; j < cols; j++) {
                boolean visible;
                if (j < ring) {
                    int q = ringPos[j];
                    visible = j / window == block && q >= 0 && q <= p && q > p - window;
                } else {
                    int t = j - ring;
                    int q = batch.position(t);
                    visible = batch.seq(t) == seq && q <= p && q > p - window;
                }
                if (in.flash()) {
                    row16[j] = visible ? 0 : F16_NEG_INF;
                } else {
                    row32[j] = visible ? 0f : Float.NEGATIVE_INFINITY;
                }
            }
            if (in.flash()) {
                MemorySegment.copy(row16, 0, maskHost, ValueLayout.JAVA_SHORT, (long) i * cols * 2, cols);
            } else {
                MemorySegment.copy(row32, 0, maskHost, ValueLayout.JAVA_FLOAT, (long) i * cols * 4, cols);
            }
        }
        NativeStatus.check(GgmlLib.ggml4j_tensor_set(in.mask(), maskHost, 0, (long) cols * n * (in.flash() ? 2 : 4)),
                "setting a graph input");
    }

    @Override
    public Views storeAndView(MemorySegment ctx, Consumer<MemorySegment> expand, GraphInputs graphInputs, int il,
                              MemorySegment kCur, MemorySegment vCur) {
        Inputs in = (Inputs) graphInputs;
        int n = in.nTokens();
        boolean chunk = in.layout() == CHUNK;
        int ring = chunk ? in.attended() - n : in.attended();
        int headK = hp.nEmbdHeadK();
        int headV = hp.nEmbdHeadV();
        int nHeadKv = hp.nHeadKv();
        MemorySegment k2 = GgmlLib.ggml_view_2d(ctx, kCur, hp.nEmbdKGqa(), n, Tensors.nb(kCur, 2), 0);
        MemorySegment v2 = GgmlLib.ggml_view_2d(ctx, vCur, hp.nEmbdVGqa(), n, Tensors.nb(vCur, 2), 0);
        MemorySegment kStore = GgmlLib.ggml_set_rows(ctx, tensors.k(il), k2, in.kIdx());
        MemorySegment vStore = GgmlLib.ggml_set_rows(ctx, tensors.v(il), v2, in.kIdx());
        if (!chunk) {
            expand.accept(kStore);
            expand.accept(vStore);
        }
        // [head_dim, n_head_kv, ring] views of the rings of the blocks in use
        MemorySegment kRing = GgmlLib.ggml_view_3d(ctx, tensors.k(il), headK, nHeadKv, ring,
                Tensors.rowSize(kType, headK), Tensors.rowSize(kType, hp.nEmbdKGqa()), 0);
        MemorySegment vRing = GgmlLib.ggml_view_3d(ctx, tensors.v(il), headV, nHeadKv, ring,
                Tensors.rowSize(vType, headV), Tensors.rowSize(vType, hp.nEmbdVGqa()), 0);
        if (!chunk) {
            return new Views(kRing, vRing, in.mask(), false);
        }
        // the chunk's own keys and values after the rings, rounded as the cache stores them: [head_dim, n_head_kv,
        // ring + n]; ggml concatenates plain element types only, so a quantized cache is read back as F32
        MemorySegment kAll;
        MemorySegment vAll;
        if (GgmlLib.ggml_is_quantized(kType)) {
            int f32 = GgmlLib.GGML_TYPE_F32();
            kAll = GgmlLib.ggml_concat(ctx, GgmlLib.ggml_cast(ctx, kRing, f32),
                    GgmlLib.ggml_cast(ctx, GgmlLib.ggml_cast(ctx, kCur, kType), f32), 2);
            vAll = GgmlLib.ggml_concat(ctx, GgmlLib.ggml_cast(ctx, vRing, f32),
                    GgmlLib.ggml_cast(ctx, GgmlLib.ggml_cast(ctx, vCur, vType), f32), 2);
        } else {
            kAll = GgmlLib.ggml_concat(ctx, kRing, GgmlLib.ggml_cast(ctx, kCur, kType), 2);
            vAll = GgmlLib.ggml_concat(ctx, vRing, GgmlLib.ggml_cast(ctx, vCur, vType), 2);
        }
        return new Views(kAll, vAll, in.mask(), false, List.of(kStore, vStore));
    }

    // ---- state ---------------------------------------------------------------------------------------------

    private static final int STATE_TAG = 0x524B5631; // "RKV1"

    @Override
    public void writeState(int seq, DataOutput out) throws IOException {
        out.writeInt(STATE_TAG);
        out.writeInt(hp.nLayer());
        out.writeInt(kType);
        out.writeInt(window);
        Integer b = seqBlock.get(seq);
        out.writeBoolean(b != null);
        if (b == null) {
            return;
        }
        for (int j = 0; j < window; j++) {
            out.writeInt(slotPos[b * window + j]);
        }
        try (Arena tmp = Arena.ofConfined()) {
            for (int il = 0; il < hp.nLayer(); il++) {
                writeRows(tmp, out, tensors.k(il), Tensors.rowSize(kType, hp.nEmbdKGqa()), b);
                writeRows(tmp, out, tensors.v(il), Tensors.rowSize(vType, hp.nEmbdVGqa()), b);
            }
        }
    }

    private void writeRows(Arena tmp, DataOutput out, MemorySegment t, long row, int block) throws IOException {
        long n = row * window;
        MemorySegment host = tmp.allocate(n, 64);
        NativeStatus.check(GgmlLib.ggml4j_tensor_get(t, host, block * n, n), "reading the rolling cache");
        out.write(host.toArray(ValueLayout.JAVA_BYTE));
    }

    @Override
    public void readState(int seq, DataInput in) throws IOException {
        if (in.readInt() != STATE_TAG) {
            throw new ModelException("the state was not saved from a rolling-buffer KV cache");
        }
        int nLayer = in.readInt();
        int type = in.readInt();
        int w = in.readInt();
        if (nLayer != hp.nLayer() || type != kType || w != window) {
            throw new ModelException("the state's rolling cache has " + nLayer + " layers, type " + type + ", window "
                    + w + "; this one " + hp.nLayer() + ", " + kType + ", " + window);
        }
        if (!in.readBoolean()) {
            return;
        }
        int[] pos = new int[window];
        for (int j = 0; j < window; j++) {
            pos[j] = in.readInt();
            if (pos[j] < -1 || (pos[j] >= 0 && Math.floorMod(pos[j], window) != j)) {
                throw new ModelException("the state's ring positions are damaged");
            }
        }
        lastNewBlocks.clear();
        int b = blockFor(seq);
        lastNewBlocks.clear();
        if (b < 0) {
            throw new ContextOverflowException("no free block of " + window + " slots for the restored sequence", window, 0);
        }
        try (Arena tmp = Arena.ofConfined()) {
            for (int il = 0; il < nLayer; il++) {
                readRows(tmp, in, tensors.k(il), Tensors.rowSize(kType, hp.nEmbdKGqa()), b);
                readRows(tmp, in, tensors.v(il), Tensors.rowSize(vType, hp.nEmbdVGqa()), b);
            }
        } catch (IOException | RuntimeException e) {
            removeRange(seq, 0, -1);
            throw e;
        }
        System.arraycopy(pos, 0, slotPos, b * window, window);
    }

    private void readRows(Arena tmp, DataInput in, MemorySegment t, long row, int block) throws IOException {
        int n = Math.toIntExact(row * window);
        byte[] data = new byte[n];
        in.readFully(data);
        MemorySegment host = tmp.allocate(n, 64);
        MemorySegment.copy(data, 0, host, ValueLayout.JAVA_BYTE, 0, n);
        NativeStatus.check(GgmlLib.ggml4j_tensor_set(t, host, (long) block * n, n), "writing the rolling cache");
    }

    @Override
    public void close() {
        tensors.close();
        arena.close();
    }
}
