package io.github.ggml4j.tokenizer;

import java.util.Arrays;

/**
 * Binary min-heap of {@code long} keys. The merge loops pack priority and tie-break (the left symbol's
 * index) into one key; an entry needs nothing else, because a popped pair is re-checked against the
 * symbols as they are now.
 */
final class LongHeap {

    private long[] keys = new long[64];
    private int size;

    boolean isEmpty() {
        return size == 0;
    }

    void clear() {
        size = 0;
    }

    void push(long key) {
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (keys[parent] <= key) {
                break;
            }
            keys[i] = keys[parent];
            i = parent;
        }
        keys[i] = key;
    }

    /** Removes and returns the smallest key. */
    long pop() {
        long top = keys[0];
        int n = --size;
        if (n > 0) {
            long key = keys[n];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= n) {
                    break;
                }
                if (child + 1 < n && keys[child + 1] < keys[child]) {
                    child++;
                }
                if (keys[child] >= key) {
                    break;
                }
                keys[i] = keys[child];
                i = child;
            }
            keys[i] = key;
        }
        return top;
    }
}
