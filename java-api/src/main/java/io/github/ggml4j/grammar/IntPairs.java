package io.github.ggml4j.grammar;

/** A growable list of (type, value) pairs. */
final class IntPairs {
    private int[] a = new int[16];
    private int n;

    void add(int type, int value) {
        if (n + 2 > a.length) {
            a = java.util.Arrays.copyOf(a, a.length * 2);
        }
        a[n++] = type;
        a[n++] = value;
    }

    void addAll(int[] pairs) {
        for (int i = 0; i < pairs.length; i += 2) {
            add(pairs[i], pairs[i + 1]);
        }
    }

    /** The number of pairs. */
    int size() {
        return n / 2;
    }

    int[] slice(int fromPair, int toPair) {
        return java.util.Arrays.copyOfRange(a, fromPair * 2, toPair * 2);
    }

    void truncate(int pairs) {
        n = pairs * 2;
    }

    int[] toArray() {
        return java.util.Arrays.copyOf(a, n);
    }
}
