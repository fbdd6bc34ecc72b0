package io.github.ggml4j.grammar;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Sets of stacks as ids, with their transitions by code point cached: the step a parse takes on a character
 * depends only on the set of stacks, and a grammar's text runs through few distinct sets (inside a JSON string,
 * one), and the code points fall into few classes ({@link Rules#bounds}), so after the first time a step is one
 * array read. This is what makes filtering
 * a 128k vocabulary one cheap walk over its trie. Bounded: past {@link #MAX_SETS} sets the cache starts over
 * ({@link #trim}, between steps).
 */
final class StackSets {

    static final int DEAD = -1;
    private static final int UNKNOWN = -2;
    static final int MAX_SETS = 200_000;

    private final Stacks stacks;
    private final Rules rules;
    private final Map<Key, Integer> ids = new HashMap<>();
    private int[][] members = new int[64][];
    private int[][] rows = new int[64][];
    private long[] selfMask = new long[64];
    private boolean[] selfKnown = new boolean[64];
    private final int classes;
    private int count;

    StackSets(Stacks stacks) {
        this.stacks = stacks;
        this.rules = stacks.rules;
        this.classes = rules.classes();
    }

    private record Key(int[] a) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(a, k.a);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(a);
        }
    }

    /** The id of the set holding these stacks (any order, no duplicates). */
    int id(int[] set, int len) {
        int[] sorted = Arrays.copyOf(set, len);
        Arrays.sort(sorted);
        Key k = new Key(sorted);
        Integer id = ids.get(k);
        if (id != null) {
            return id;
        }
        int n = count++;
        if (n == members.length) {
            members = Arrays.copyOf(members, n * 2);
            rows = Arrays.copyOf(rows, n * 2);
            selfMask = Arrays.copyOf(selfMask, n * 2);
            selfKnown = Arrays.copyOf(selfKnown, n * 2);
        }
        members[n] = sorted;
        ids.put(k, n);
        return n;
    }

    /** Starts over when the cache has grown past its bound (call between steps only: ids become invalid). */
    void trim() {
        if (count > MAX_SETS) {
            clear();
        }
    }

    private void clear() {
        ids.clear();
        Arrays.fill(members, null);
        Arrays.fill(rows, null);
        Arrays.fill(selfKnown, false);
        count = 0;
    }

    int size() {
        return count;
    }

    int[] members(int id) {
        return members[id];
    }

    /** The set after a code point of class {@code cls}, {@link #DEAD} if no stack matches; {@code spent[0]} counts work. */
    int next(int id, int cls, long[] spent) {
        int[] row = rows[id];
        if (row == null) {
            row = rows[id] = new int[classes];
            Arrays.fill(row, UNKNOWN);
        }
        int r = row[cls];
        if (r == UNKNOWN) {
            r = compute(id, rules.representative(cls), spent);
            rows[id][cls] = r;
        }
        return r;
    }

    /** The classes (at most 64 of them) after which the set is itself again. */
    long selfMask(int id, long[] spent) {
        if (!selfKnown[id]) {
            long m = 0;
            for (int c = 0; c < classes; c++) {
                if (next(id, c, spent) == id) {
                    m |= 1L << c;
                }
            }
            selfMask[id] = m;
            selfKnown[id] = true;
        }
        return selfMask[id];
    }

    private int compute(int id, int cp, long[] spent) {
        int[] set = members[id];
        int marker = stacks.newSet();
        int[] out = new int[8];
        int n = 0;
        for (int s : set) {
            if (stacks.isCharTop(s) && rules.matchChar(stacks.top(s), cp)) {
                int[] after = stacks.after(s);
                spent[0] += after.length + 1;
                for (int u : after) {
                    if (stacks.addToSet(marker, u)) {
                        out = Stacks.grow(out, n);
                        out[n++] = u;
                    }
                }
            }
        }
        return n == 0 ? DEAD : id(out, n);
    }

    /** Whether some char stack of the set could take the trailing incomplete sequence of {@code d}. */
    boolean partialFits(int id, Utf8Decode d) {
        for (int s : members[id]) {
            if (stacks.isCharTop(s) && rules.matchPartialChar(stacks.top(s), d.partialValue(), d.remain())) {
                return true;
            }
        }
        return false;
    }
}
