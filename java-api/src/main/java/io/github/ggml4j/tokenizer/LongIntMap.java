package io.github.ggml4j.tokenizer;

import java.util.Arrays;

/** {@code long -> int} open-addressing map for BPE merge ranks keyed by a pair of piece ids. */
final class LongIntMap {

    private long[] keys;
    private int[] values; // -1 = empty slot; stored values are >= 0
    private int size;
    private int mask;

    LongIntMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected) * 2 - 1) << 1;
        keys = new long[cap];
        values = new int[cap];
        Arrays.fill(values, -1);
        mask = cap - 1;
    }

    /** Stores {@code value} (>= 0) unless the key is present: the first entry for a key wins. */
    void putIfAbsent(long key, int value) {
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        for (int i = slot(key); ; i = (i + 1) & mask) {
            if (values[i] < 0) {
                keys[i] = key;
                values[i] = value;
                size++;
                return;
            }
            if (keys[i] == key) {
                return;
            }
        }
    }

    /** The value for {@code key}, or -1. */
    int get(long key) {
        for (int i = slot(key); ; i = (i + 1) & mask) {
            int v = values[i];
            if (v < 0 || keys[i] == key) {
                return v;
            }
        }
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new int[oldKeys.length * 2];
        Arrays.fill(values, -1);
        mask = keys.length - 1;
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldValues[i] >= 0) {
                putIfAbsent(oldKeys[i], oldValues[i]);
            }
        }
    }
}
