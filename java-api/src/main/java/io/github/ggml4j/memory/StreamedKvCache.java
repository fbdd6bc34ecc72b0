package io.github.ggml4j.memory;

import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.ModelException;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.nativ.GgmlContext;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A KV cache cut into equal streams (llama.cpp's non-unified cache, llama-server's default): stream s owns cells
 * [s·S, (s+1)·S) of every layer's tensors, and each sequence lives in one stream, so a token attends over the
 * cells of its own stream only. With many sequences running at once that is the difference between reading
 * S cells a token and reading every sequence's cells (and masking them off); and a sequence's arithmetic no
 * longer depends on who else is in the step.
 *
 * <p>A step's tokens are grouped by how many tokens their stream brings (generation: one each); a group's
 * attention reads a [head_dim, n_head_kv, n_kv, n_stream] view over the streams from its first to its last, with
 * [n_kv, n_tokens_per_stream, 1, n_stream] masks. The queries are gathered into that order and the results
 * gathered back, so the batch keeps its order. A stream in a group's range without tokens of its own gets a
 * dummy query that sees one cell (cheap under flash attention).
 *
 * <p>Sequences share cells within a stream (a fork, or a new sequence taking a cached prompt's prefix); sharing
 * across streams copies the rows. A sequence is bound to a stream by its first cell and unbound when it holds
 * none; one sequence holds at most S positions.
 */
public final class StreamedKvCache implements Memory, KvStore {

    /** A group's attended cells are padded, as {@link KvCache#PAD}, so the graph stays the same over many steps. */
    static final int PAD = KvCache.PAD;

    /** More distinct per-stream token counts than this in one step and every group gets the largest count. */
    private static final int MAX_GROUPS = 6;

    private static final int STATE_TAG = 0x4B564331; // "KVC1": the unified cache's format, so states move freely

    /** Streams {@code [first, first + streams)} with {@code perStream} query rows each, over {@code attended} cells. */
    record Group(int perStream, int first, int streams, int attended) {
        int rows() {
            return perStream * streams;
        }
    }

    record GroupInputs(Group group, MemorySegment rows, MemorySegment mask) {
    }

    record Inputs(MemorySegment kIdx, MemorySegment vIdx, List<GroupInputs> groups, MemorySegment back, int nTokens,
                  boolean flash) implements GraphInputs {
    }

    private final HParams hp;
    private final KvTensors tensors;
    private final int streams;
    private final int streamCells;
    private final int window;
    private final Cells[] cells;
    private final Map<Integer, Integer> streamOf = new HashMap<>();
    private final java.util.Set<Integer> cachedSeqs = new java.util.HashSet<>();
    private final List<Integer> boundByLastPlace = new ArrayList<>();

    // graph layouts (lists of groups) by id; ids are never reused, so a graph key never means two layouts
    private final Map<List<Group>, Integer> layoutIds = new LinkedHashMap<>();
    private final Map<Integer, List<Group>> layouts = new HashMap<>();
    private int nextLayout = 1;

    private final Arena arena = Arena.ofShared();
    private MemorySegment maskHost;
    private MemorySegment rowsHost;
    private final MemorySegment backHost;
    private short[] maskRow16 = new short[0];
    private float[] maskRow32 = new float[0];

    public StreamedKvCache(MemorySpec spec, int streams) {
        if (streams < 2) {
            throw new IllegalArgumentException("a streamed KV cache needs at least 2 streams, got " + streams);
        }
        if (spec.cells() / streams < 1) {
            throw new IllegalArgumentException(spec.cells() + " cells cannot make " + streams + " streams");
        }
        this.hp = spec.hparams();
        this.streams = streams;
        this.streamCells = spec.cells() / streams;
        this.window = spec.window();
        int t = spec.kvType().id();
        this.tensors = new KvTensors(hp, streams * streamCells, spec.maxTokens(), t, t, spec.flashAttention(),
                spec.layerBufts());
        this.cells = new Cells[streams];
        for (int s = 0; s < streams; s++) {
            cells[s] = new Cells(streamCells);
        }
        try {
            int maxRows = spec.maxTokens() + streams;
            rowsHost = arena.allocate(4L * maxRows, 64);
            backHost = arena.allocate(4L * spec.maxTokens(), 64);
            maskHost = arena.allocate(4L * maxRows * Math.min(streamCells, roundUp(streamCells)), 64);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private static int roundUp(int n) {
        return (n + PAD - 1) / PAD * PAD;
    }

    /** Streams in the cache. */
    public int streams() {
        return streams;
    }

    // ---- cells ---------------------------------------------------------------------------------------------

    @Override
    public int capacity() {
        return streams * streamCells;
    }

    @Override
    public int maxPositions() {
        return streamCells;
    }

    @Override
    public int maxTokensPerSequence() {
        return streamCells;
    }

    @Override
    public int usedCells() {
        int used = 0;
        for (Cells c : cells) {
            used += c.used();
        }
        return used;
    }

    @Override
    public long nativeBytes() {
        return tensors.bytes();
    }

    @Override
    public int nextPosition(int seq) {
        Integer s = streamOf.get(seq);
        return s == null ? 0 : cells[s].nextPosition(seq);
    }

    @Override
    public boolean reuseReplacesCachedPrompt() {
        return true;
    }

    @Override
    public boolean equalPromptChunks() {
        return true;
    }

    @Override
    public String summary() {
        return "KV cache of " + streams + " streams of " + streamCells + " cells on " + hp.nLayer() + " layers"
                + (window > 0 ? " with a sliding-window mask of " + window : "") + ", "
                + tensors.bytes() / capacity() + " bytes per position (" + tensors.bytes() + " bytes)";
    }

    @Override
    public String fullMessage(int live) {
        return "the model's KV cache is full: a sequence's stream of " + streamCells + " cells (one of " + streams
                + ") has no room left, with " + live + " sessions open";
    }

    @Override
    public Slots place(Batch batch) {
        int n = batch.size();
        boundByLastPlace.clear();
        int[] need = new int[streams];
        int[] stream = new int[n];
        for (int i = 0; i < n; i++) {
            Integer s = streamOf.get(batch.seq(i));
            if (s == null) {
                int wanted = 0;
                for (int j = i; j < n; j++) {
                    wanted += batch.seq(j) == batch.seq(i) ? 1 : 0;
                }
                s = chooseStream(wanted, need);
                if (s < 0) {
                    unbindLast();
                    return null;
                }
                streamOf.put(batch.seq(i), s);
                boundByLastPlace.add(batch.seq(i));
            }
            stream[i] = s;
            need[s]++;
        }
        int[][] free = new int[streams][];
        for (int s = 0; s < streams; s++) {
            if (need[s] > 0 && (free[s] = cells[s].free(need[s])) == null) {
                unbindLast();
                return null;
            }
        }
        int[] taken = new int[streams];
        int[] placed = new int[n];
        for (int i = 0; i < n; i++) {
            int s = stream[i];
            int local = free[s][taken[s]++];
            cells[s].assign(local, batch.position(i), batch.seq(i));
            placed[i] = s * streamCells + local;
        }
        List<Group> groups = groups(need);
        int attended = 0;
        for (Group g : groups) {
            attended = Math.max(attended, g.attended());
        }
        return new Slots(placed, attended, layoutId(groups));
    }

    /**
     * For a new sequence: an empty stream (the lowest, so busy streams stay together), else one that holds
     * cached prompts only (llama-server's idle slot), else any; among those the one with the most room for it.
     */
    private int chooseStream(int wanted, int[] need) {
        int[] live = new int[streams];
        int[] bound = new int[streams];
        for (Map.Entry<Integer, Integer> e : streamOf.entrySet()) {
            bound[e.getValue()]++;
            if (!cachedSeqs.contains(e.getKey())) {
                live[e.getValue()]++;
            }
        }
        for (int s = 0; s < streams; s++) {
            if (bound[s] == 0 && need[s] == 0 && cells[s].used() == 0 && wanted <= streamCells) {
                return s;
            }
        }
        int best = -1;
        long bestScore = Long.MIN_VALUE;
        for (int s = 0; s < streams; s++) {
            int free = streamCells - cells[s].used() - need[s];
            if (free < wanted) {
                continue;
            }
            // streams without live sequences first, then the most free cells
            long score = (live[s] == 0 && need[s] == 0 ? 1L << 32 : 0) + free;
            if (score > bestScore) {
                best = s;
                bestScore = score;
            }
        }
        return best;
    }

    @Override
    public void markCached(int seq, boolean cached) {
        if (cached) {
            cachedSeqs.add(seq);
        } else {
            cachedSeqs.remove(seq);
        }
    }

    private void unbindLast() {
        boundByLastPlace.forEach(streamOf::remove);
        boundByLastPlace.clear();
    }

    /** The step's groups: streams by their token count, each group from its first stream to its last. */
    private List<Group> groups(int[] need) {
        java.util.TreeMap<Integer, int[]> ranges = new java.util.TreeMap<>(); // count -> {first, last}
        for (int s = 0; s < streams; s++) {
            if (need[s] > 0) {
                int[] r = ranges.computeIfAbsent(need[s], c -> new int[] {Integer.MAX_VALUE, -1});
                r[0] = Math.min(r[0], s);
                r[1] = Math.max(r[1], s);
            }
        }
        if (ranges.size() > MAX_GROUPS) {
            // too many shapes for one graph: one group at the largest count, the others padded with dummies
            int max = ranges.lastKey();
            int first = streams;
            int last = -1;
            for (int s = 0; s < streams; s++) {
                if (need[s] > 0) {
                    first = Math.min(first, s);
                    last = s;
                }
            }
            ranges.clear();
            ranges.put(max, new int[] {first, last});
        }
        List<Group> out = new ArrayList<>();
        for (Map.Entry<Integer, int[]> e : ranges.entrySet()) {
            int first = e.getValue()[0];
            int last = e.getValue()[1];
            int top = 0;
            for (int s = first; s <= last; s++) {
                if (need[s] > 0) {
                    top = Math.max(top, cells[s].top());
                }
            }
            out.add(new Group(e.getKey(), first, last - first + 1, Math.min(streamCells, roundUp(Math.max(1, top)))));
        }
        return out;
    }

    private int layoutId(List<Group> groups) {
        Integer id = layoutIds.get(groups);
        if (id == null) {
            id = nextLayout++;
            layoutIds.put(groups, id);
            layouts.put(id, groups);
            if (layoutIds.size() > 4096) { // forget the oldest; its id is never given again
                Map.Entry<List<Group>, Integer> oldest = layoutIds.entrySet().iterator().next();
                layoutIds.remove(oldest.getKey());
                layouts.remove(oldest.getValue());
            }
        }
        return id;
    }

    @Override
    public Slots worstCase(int maxTokens) {
        int per = Math.max(1, maxTokens / streams);
        List<Group> g = List.of(new Group(per, 0, streams, Math.min(streamCells, roundUp(streamCells))));
        return new Slots(new int[0], g.get(0).attended(), layoutId(g));
    }

    @Override
    public void rollback(Slots slots) {
        for (int c : slots.cells()) {
            cells[c / streamCells].release(c % streamCells);
        }
        for (Integer seq : boundByLastPlace) {
            unbindIfEmpty(seq);
        }
        boundByLastPlace.clear();
    }

    private void unbindIfEmpty(int seq) {
        Integer s = streamOf.get(seq);
        if (s != null && cells[s].nextPosition(seq) == 0) {
            streamOf.remove(seq);
        }
    }

    @Override
    public void removeRange(int seq, int from, int to) {
        Integer s = streamOf.get(seq);
        if (s != null) {
            cells[s].removeRange(seq, from, to);
            unbindIfEmpty(seq);
        }
    }

    @Override
    public boolean canShare(int src, int dst) {
        Integer s = streamOf.get(src);
        Integer d = streamOf.get(dst);
        if (s == null || d != null) {
            return s != null && s.equals(d);
        }
        for (Map.Entry<Integer, Integer> e : streamOf.entrySet()) {
            if (e.getValue().equals(s) && !cachedSeqs.contains(e.getKey())) {
                return false; // a live sequence is in that stream
            }
        }
        return true;
    }

    /**
     * Shares the cells of {@code src} with {@code dst} when {@code dst} is in the same stream or in none yet;
     * otherwise copies their rows into {@code dst}'s stream.
     *
     * @throws ContextOverflowException when {@code dst}'s stream has no room for the copy
     */
    @Override
    public void copySequence(int src, int dst, int from, int to) {
        Integer s = streamOf.get(src);
        if (s == null || src == dst) {
            return;
        }
        Integer d = streamOf.get(dst);
        if (d == null || d.equals(s)) {
            cells[s].copy(src, dst, from, to);
            if (cells[s].nextPosition(dst) > 0) {
                streamOf.put(dst, s);
            }
            return;
        }
        int end = to < 0 ? Integer.MAX_VALUE : to;
        int[] held = Arrays.stream(cells[s].cellsOf(src))
                .filter(c -> cells[s].position(c) >= from && cells[s].position(c) < end).toArray();
        int[] target = cells[d].free(held.length);
        if (target == null) {
            int free = streamCells - cells[d].used();
            throw new ContextOverflowException("copying " + held.length + " positions needs as many free cells in the"
                    + " target's stream, which has " + free, held.length, free);
        }
        int[] fromGlobal = new int[held.length];
        int[] toGlobal = new int[held.length];
        for (int i = 0; i < held.length; i++) {
            fromGlobal[i] = s * streamCells + held[i];
            toGlobal[i] = d * streamCells + target[i];
        }
        tensors.copyRows(fromGlobal, toGlobal);
        for (int i = 0; i < held.length; i++) {
            cells[d].assign(target[i], cells[s].position(held[i]), dst);
        }
    }

    @Override
    public void keepOnly(int seq) {
        Integer keep = streamOf.get(seq);
        for (int s = 0; s < streams; s++) {
            if (keep != null && keep == s) {
                cells[s].keepOnly(seq);
            } else {
                cells[s].clear();
            }
        }
        streamOf.clear();
        if (keep != null) {
            streamOf.put(seq, keep);
        }
    }

    @Override
    public void clear() {
        for (Cells c : cells) {
            c.clear();
        }
        streamOf.clear();
        cachedSeqs.clear();
    }

    // ---- graph inputs and attention ------------------------------------------------------------------------

    @Override
    public GraphInputs newInputs(GgmlContext ctx, int nTokens, int attended, int layout, boolean flashAttention) {
        if (flashAttention == tensors.transposedV()) {
            throw new IllegalStateException("the cache was laid out for flash attention " + !tensors.transposedV());
        }
        List<Group> groups = layouts.get(layout);
        if (groups == null) {
            throw new IllegalStateException("unknown stream layout " + layout);
        }
        MemorySegment[] idx = tensors.newIndexInputs(ctx, nTokens);
        List<GroupInputs> in = new ArrayList<>();
        for (Group g : groups) {
            MemorySegment rows = KvTensors.input(ctx, "inp_stream_rows", GgmlLib.GGML_TYPE_I32(), g.rows());
            MemorySegment mask = KvTensors.input(ctx, "inp_kq_mask",
                    flashAttention ? GgmlLib.GGML_TYPE_F16() : GgmlLib.GGML_TYPE_F32(),
                    g.attended(), g.perStream(), 1, g.streams());
            in.add(new GroupInputs(g, rows, mask));
        }
        MemorySegment back = KvTensors.input(ctx, "inp_stream_back", GgmlLib.GGML_TYPE_I32(), nTokens);
        return new Inputs(idx[0], idx[1], in, back, nTokens, flashAttention);
    }

    @Override
    public void fillInputs(GraphInputs graphInputs, Batch batch, Slots slots, boolean causal) {
        Inputs in = (Inputs) graphInputs;
        int n = batch.size();
        int[] placed = slots.cells();
        tensors.fillIndices(in.kIdx(), in.vIdx(), placed, n);
        // each stream's tokens in batch order
        int[] count = new int[streams];
        for (int i = 0; i < n; i++) {
            count[placed[i] / streamCells]++;
        }
        int[][] tokensOf = new int[streams][];
        for (int s = 0; s < streams; s++) {
            tokensOf[s] = new int[count[s]];
        }
        int[] filled = new int[streams];
        for (int i = 0; i < n; i++) {
            int s = placed[i] / streamCells;
            tokensOf[s][filled[s]++] = i;
        }
        boolean alibi = hp.maxAlibiBias() > 0;
        int base = 0;
        for (GroupInputs gi : in.groups()) {
            Group g = gi.group();
            int nKv = g.attended();
            long rowBytes = (long) nKv * (in.flash() ? 2 : 4);
            ensureStaging(rowBytes * g.rows(), g.rows(), nKv);
            int[] seenPos = new int[nKv];
            for (int j = 0; j < g.streams(); j++) {
                int s = g.first() + j;
                boolean real = tokensOf[s].length == g.perStream();
                int lastSeq = Integer.MIN_VALUE;
                for (int t = 0; t < g.perStream(); t++) {
                    int r = j * g.perStream() + t;
                    int i = real ? tokensOf[s][t] : 0;
                    rowsHost.setAtIndex(ValueLayout.JAVA_INT, r, i);
                    if (real) {
                        backHost.setAtIndex(ValueLayout.JAVA_INT, i, base + r);
                        if (batch.seq(i) != lastSeq) {
                            cells[s].visibleTo(batch.seq(i), nKv, seenPos);
                            lastSeq = batch.seq(i);
                        }
                    }
                    if (in.flash()) {
                        if (real) {
                            KqMask.row16(maskRow16, seenPos, nKv, batch.position(i), causal, window, alibi);
                        } else {
                            dummyRow16(nKv);
                        }
                        MemorySegment.copy(maskRow16, 0, maskHost, ValueLayout.JAVA_SHORT, r * rowBytes, nKv);
                    } else {
                        if (real) {
                            KqMask.row32(maskRow32, seenPos, nKv, batch.position(i), causal, window, alibi);
                        } else {
                            dummyRow32(nKv);
                        }
                        MemorySegment.copy(maskRow32, 0, maskHost, ValueLayout.JAVA_FLOAT, r * rowBytes, nKv);
                    }
                }
            }
            KvTensors.set(gi.rows(), rowsHost, 4L * g.rows());
            KvTensors.set(gi.mask(), maskHost, rowBytes * g.rows());
            base += g.rows();
        }
        KvTensors.set(in.back(), backHost, 4L * n);
    }

    /** A stream without tokens of the group's count: a query that sees the stream's first cell, never read back. */
    private void dummyRow16(int nKv) {
        Arrays.fill(maskRow16, 0, nKv, KqMask.F16_NEG_INF);
        maskRow16[0] = 0;
    }

    private void dummyRow32(int nKv) {
        Arrays.fill(maskRow32, 0, nKv, Float.NEGATIVE_INFINITY);
        maskRow32[0] = 0;
    }

    /** Staging grows for a rare step with more rows than the micro-batch and the streams (see {@link #groups}). */
    private void ensureStaging(long maskBytes, int rows, int nKv) {
        if (maskHost.byteSize() < maskBytes) {
            maskHost = Arena.ofAuto().allocate(maskBytes, 64);
        }
        if (rowsHost.byteSize() < 4L * rows) {
            rowsHost = Arena.ofAuto().allocate(4L * rows, 64);
        }
        if (maskRow16.length < nKv) {
            maskRow16 = new short[nKv];
            maskRow32 = new float[nKv];
        }
    }

    @Override
    public Views storeAndView(MemorySegment ctx, Consumer<MemorySegment> expand, GraphInputs graphInputs, int il,
                              MemorySegment kCur, MemorySegment vCur) {
        Inputs in = (Inputs) graphInputs;
        tensors.store(ctx, expand, in.kIdx(), in.vIdx(), il, kCur, vCur, in.nTokens());
        List<StreamGroup> groups = new ArrayList<>();
        for (GroupInputs gi : in.groups()) {
            Group g = gi.group();
            int first = g.first() * streamCells;
            groups.add(new StreamGroup(gi.rows(), g.perStream(), g.streams(),
                    tensors.kView(ctx, il, g.attended(), g.streams(), streamCells, first),
                    tensors.vView(ctx, il, g.attended(), g.streams(), streamCells, first), gi.mask()));
        }
        return new Views(tensors.transposedV(), groups, in.back());
    }

    // ---- state ---------------------------------------------------------------------------------------------

    /** The unified cache's format: tag, header, positions, then the rows. */
    @Override
    public void writeState(int seq, DataOutput out) throws IOException {
        Integer s = streamOf.get(seq);
        int[] held = s == null ? new int[0] : cells[s].cellsOf(seq);
        out.writeInt(STATE_TAG);
        tensors.writeHeader(out);
        out.writeInt(held.length);
        int[] global = new int[held.length];
        for (int i = 0; i < held.length; i++) {
            out.writeInt(cells[s].position(held[i]));
            global[i] = s * streamCells + held[i];
        }
        tensors.writeRows(global, out);
    }

    @Override
    public void readState(int seq, DataInput in) throws IOException {
        if (in.readInt() != STATE_TAG) {
            throw new ModelException("the state's KV cache section is damaged");
        }
        tensors.checkHeader(in);
        int n = in.readInt();
        if (n < 0 || n > streamCells) {
            throw new ContextOverflowException("the state holds " + n + " positions; a stream of the KV cache has "
                    + streamCells + " cells", Math.max(n, 0), streamCells);
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
        int s = chooseStream(n, new int[streams]);
        if (s < 0) {
            throw new ContextOverflowException("the state needs " + n + " cells but no stream of the KV cache has"
                    + " that many free", n, 0);
        }
        int[] target = cells[s].free(n);
        int[] global = new int[n];
        for (int i = 0; i < n; i++) {
            global[i] = s * streamCells + target[i];
        }
        tensors.readRows(global, in);
        for (int i = 0; i < n; i++) {
            cells[s].assign(target[i], pos[i], seq);
        }
        if (n > 0) {
            streamOf.put(seq, s);
        }
    }

    @Override
    public void close() {
        tensors.close();
        arena.close();
    }
}
