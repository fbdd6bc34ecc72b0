package io.github.ggml4j.memory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The attention groups of a {@link StreamedKvCache}'s steps and the graph layouts they make: streams grouped by
 * how many tokens each brings to a step, each group over a range of streams; a layout (the groups of one step)
 * has an id, which is part of the graph-reuse key. Ids are never given twice, so a key never means two layouts.
 */
final class StreamLayouts {

    /** A group's attended cells are padded, as {@link KvCache#PAD}, so the graph stays the same over many steps. */
    static final int PAD = KvCache.PAD;

    /** More distinct per-stream token counts than this in one step and every group gets the largest count. */
    static final int MAX_GROUPS = 6;

    /** Streams {@code [first, first + streams)} with {@code perStream} query rows each, over {@code attended} cells. */
    record Group(int perStream, int first, int streams, int attended) {
        int rows() {
            return perStream * streams;
        }
    }

    private final int streams;
    private final int streamCells;
    private final Map<List<Group>, Integer> ids = new LinkedHashMap<>();
    private final Map<Integer, List<Group>> byId = new HashMap<>();
    private int next = 1;

    StreamLayouts(int streams, int streamCells) {
        this.streams = streams;
        this.streamCells = streamCells;
    }

    private int attended(int top) {
        return Math.min(streamCells, (Math.max(1, top) + PAD - 1) / PAD * PAD);
    }

    /** The step's groups: streams by their token count, each group from its first stream to its last. */
    List<Group> groups(int[] need, Cells[] cells) {
        TreeMap<Integer, int[]> ranges = new TreeMap<>(); // count -> {first, last}
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
            out.add(new Group(e.getKey(), first, last - first + 1, attended(top)));
        }
        return out;
    }

    /** The id of a layout, given on first sight. */
    int id(List<Group> groups) {
        Integer id = ids.get(groups);
        if (id == null) {
            id = next++;
            ids.put(groups, id);
            byId.put(id, groups);
            if (ids.size() > 4096) { // forget the oldest; its id is never given again
                Map.Entry<List<Group>, Integer> oldest = ids.entrySet().iterator().next();
                ids.remove(oldest.getKey());
                byId.remove(oldest.getValue());
            }
        }
        return id;
    }

    /** The layout of an id given by {@link #id}. */
    List<Group> get(int id) {
        List<Group> groups = byId.get(id);
        if (groups == null) {
            throw new IllegalStateException("unknown stream layout " + id);
        }
        return groups;
    }

    /** The largest step's layout, for the compute buffers: the micro-batch over every stream, all cells. */
    List<Group> worst(int maxTokens) {
        return List.of(new Group(Math.max(1, maxTokens / streams), 0, streams, attended(streamCells)));
    }
}
