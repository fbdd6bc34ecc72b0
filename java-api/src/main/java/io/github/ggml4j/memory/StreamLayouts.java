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

    /** At most this many groups (runs of streams) in one step; the closest runs of a count join beyond it. */
    static final int MAX_RUNS = 12;

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

    /**
     * The step's groups: streams by their token count, each group over a range of streams. Single tokens (the
     * generating streams) make one group from the first such stream to the last, the streams between getting
     * dummy rows; a count above one (a prompt chunk) makes one group per run of adjacent streams, as a dummy there
     * costs that many query rows: five prompts of 22 tokens spread over 32 streams were 550 rows of attention in
     * one group, 110 in five.
     */
    List<Group> groups(int[] need, Cells[] cells) {
        TreeMap<Integer, List<int[]>> runs = new TreeMap<>(); // count -> {first, last} ranges
        for (int s = 0; s < streams; s++) {
            if (need[s] > 0) {
                List<int[]> r = runs.computeIfAbsent(need[s], c -> new ArrayList<>());
                int[] lastRun = r.isEmpty() ? null : r.get(r.size() - 1);
                if (lastRun != null && (need[s] == 1 || lastRun[1] == s - 1)) {
                    lastRun[1] = s;
                } else {
                    r.add(new int[] {s, s});
                }
            }
        }
        if (runs.size() > MAX_GROUPS) {
            // too many shapes for one graph: one group at the largest count, the others padded with dummies
            int max = runs.lastKey();
            int first = streams;
            int last = -1;
            for (int s = 0; s < streams; s++) {
                if (need[s] > 0) {
                    first = Math.min(first, s);
                    last = s;
                }
            }
            runs.clear();
            runs.put(max, List.<int[]>of(new int[] {first, last}));
        }
        int total = 0;
        for (List<int[]> r : runs.values()) {
            total += r.size();
        }
        // past MAX_RUNS groups, the runs of a count closest together join (their gap gets dummies)
        while (total > MAX_RUNS && joinClosest(runs)) {
            total--;
        }
        List<Group> out = new ArrayList<>();
        for (Map.Entry<Integer, List<int[]>> e : runs.entrySet()) {
            for (int[] range : e.getValue()) {
                int top = 0;
                for (int s = range[0]; s <= range[1]; s++) {
                    if (need[s] > 0) {
                        top = Math.max(top, cells[s].top());
                    }
                }
                out.add(new Group(e.getKey(), range[0], range[1] - range[0] + 1, attended(top)));
            }
        }
        return out;
    }

    /** Joins the two neighbouring runs of one count whose gap costs the fewest dummy rows; false if none. */
    private static boolean joinClosest(TreeMap<Integer, List<int[]>> runs) {
        List<int[]> bestList = null;
        int bestIndex = -1;
        long bestCost = Long.MAX_VALUE;
        for (Map.Entry<Integer, List<int[]>> e : runs.entrySet()) {
            List<int[]> r = e.getValue();
            for (int i = 0; i + 1 < r.size(); i++) {
                long cost = (long) e.getKey() * (r.get(i + 1)[0] - r.get(i)[1] - 1);
                if (cost < bestCost) {
                    bestCost = cost;
                    bestList = r;
                    bestIndex = i;
                }
            }
        }
        if (bestList == null) {
            return false;
        }
        bestList.get(bestIndex)[1] = bestList.get(bestIndex + 1)[1];
        bestList.remove(bestIndex + 1);
        return true;
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
