package io.github.ggml4j.memory;

import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.nativ.GgmlContext;
import io.github.ggml4j.runtime.Batch;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
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

    private static final int STATE_TAG = 0x4B564331; // "KVC1": the unified cache's format, so states move freely

    record GroupInputs(StreamLayouts.Group group, MemorySegment rows, MemorySegment mask) {
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

    private final StreamLayouts layouts;
    private final StreamMasks masks;

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
        this.layouts = new StreamLayouts(streams, streamCells);
        StreamMasks m;
        try {
            m = new StreamMasks(hp, streams, streamCells, window, spec.maxTokens());
        } catch (RuntimeException e) {
            tensors.close();
            throw e;
        }
        this.masks = m;
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
        List<StreamLayouts.Group> groups = layouts.groups(need, cells);
        int attended = 0;
        for (StreamLayouts.Group g : groups) {
            attended = Math.max(attended, g.attended());
        }
        return new Slots(placed, attended, layouts.id(groups));
    }

    /**
     * For a new sequence: an empty stream (the lowest, so busy streams stay together), else one that holds
     * cached prompts only (llama-server's idle slot), else any; among those the one with the most room for it.
     */
    private int chooseStream(int wanted, int[] need) {
        int[] live = new int[streams];
        int[] bound = new int[streams];
        countSequences(bound, live);
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

    /** Per stream: the sequences bound to it, and those of them that are live (not cached prompts). */
    private void countSequences(int[] bound, int[] live) {
        for (Map.Entry<Integer, Integer> e : streamOf.entrySet()) {
            bound[e.getValue()]++;
            if (!cachedSeqs.contains(e.getKey())) {
                live[e.getValue()]++;
            }
        }
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

    @Override
    public Slots worstCase(int maxTokens) {
        List<StreamLayouts.Group> g = layouts.worst(maxTokens);
        return new Slots(new int[0], g.get(0).attended(), layouts.id(g));
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
        int[] live = new int[streams];
        countSequences(new int[streams], live);
        return live[s] == 0; // no live sequence in that stream
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
        cachedSeqs.retainAll(java.util.Set.of(seq));
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
        List<StreamLayouts.Group> groups = layouts.get(layout);
        MemorySegment[] idx = tensors.newIndexInputs(ctx, nTokens);
        List<GroupInputs> in = new ArrayList<>();
        for (StreamLayouts.Group g : groups) {
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
        masks.fill(in, batch, tokensOf, cells, causal);
    }

    @Override
    public Views storeAndView(MemorySegment ctx, Consumer<MemorySegment> expand, GraphInputs graphInputs, int il,
                              MemorySegment kCur, MemorySegment vCur) {
        Inputs in = (Inputs) graphInputs;
        tensors.store(ctx, expand, in.kIdx(), in.vIdx(), il, kCur, vCur, in.nTokens());
        List<StreamGroup> groups = new ArrayList<>();
        for (GroupInputs gi : in.groups()) {
            StreamLayouts.Group g = gi.group();
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
        int[] pos = new int[held.length];
        int[] global = new int[held.length];
        for (int i = 0; i < held.length; i++) {
            pos[i] = cells[s].position(held[i]);
            global[i] = s * streamCells + held[i];
        }
        tensors.writeState(STATE_TAG, pos, global, out);
    }

    @Override
    public void readState(int seq, DataInput in) throws IOException {
        if (nextPosition(seq) != 0) {
            throw new IllegalStateException("state is restored into an empty sequence only");
        }
        int[] pos = tensors.readPositions(STATE_TAG, in, streamCells, "a stream of the KV cache");
        int n = pos.length;
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
        masks.close();
    }
}
