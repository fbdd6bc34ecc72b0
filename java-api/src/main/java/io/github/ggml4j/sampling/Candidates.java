package io.github.ggml4j.sampling;

import java.util.Arrays;

/**
 * The tokens a chain still considers, with their logits and probabilities: the role of llama.cpp's
 * {@code llama_token_data_array}, including its {@code sorted} flag (descending by logit), since the samplers'
 * results depend on the order they see the tokens in.
 */
final class Candidates {

    int[] id;
    float[] logit;
    float[] p;
    int size;
    boolean sorted;
    int selected = -1;

    Candidates(int capacity) {
        id = new int[capacity];
        logit = new float[capacity];
        p = new float[capacity];
    }

    /** Every token, in id order, with its logit. */
    void reset(float[] logits) {
        reset(java.nio.FloatBuffer.wrap(logits));
    }

    /** Every token of {@code logits} (from its position 0 to its limit), in id order, checked to be finite. */
    void reset(java.nio.FloatBuffer logits) {
        int n = logits.limit();
        if (id.length < n) {
            id = new int[n];
            logit = new float[n];
            p = new float[n];
        }
        for (int i = 0; i < n; i++) {
            float v = logits.get(i);
            checkFinite(v, i);
            id[i] = i;
            logit[i] = v;
            p[i] = 0;
        }
        size = n;
        sorted = false;
        selected = -1;
    }

    static void checkFinite(float v, int token) {
        if (Float.isNaN(v) || v == Float.POSITIVE_INFINITY) {
            throw new io.github.ggml4j.GenerationException("the model produced a non-finite logit (" + v
                    + ") for token " + token + "; its weights are probably broken (NaN or Inf)");
        }
    }

    /**
     * The {@code k} highest of the logits, where the tokens {@code adjIds} (ascending) have the logits
     * {@code adjValues} instead, sorted descending (ties: lower id first): logit bias, penalties, DRY and top-k in
     * one pass over the vocabulary, which is read where it lies and never copied.
     */
    void topK(java.nio.FloatBuffer logits, int k, int[] adjIds, float[] adjValues) {
        int n = logits.limit();
        k = Math.min(k, n);
        long[] heap = new long[k];
        int filled = 0;
        float worst = Float.NEGATIVE_INFINITY;
        int nextAdj = 0;
        for (int i = 0; i < n; i++) {
            if (filled == k) {
                // the hot loop: skip what cannot enter the top k; kept free of calls so the JIT hoists the
                // buffer's checks out of it (about 5x faster than testing each logit in the loop below)
                int stop = nextAdj < adjIds.length ? Math.min(n, adjIds[nextAdj]) : n;
                float w = worst;
                while (i < stop && logits.get(i) < w) {
                    i++;
                }
                if (i == n) {
                    break;
                }
            }
            float v = logits.get(i);
            if (v != v || v == Float.POSITIVE_INFINITY) {
                checkFinite(v, i);
            }
            if (nextAdj < adjIds.length && adjIds[nextAdj] == i) {
                v = adjValues[nextAdj++];
            }
            if (filled == k && v < worst) {
                continue;
            }
            long key = ((long) descending(v) << 32) | (i & 0xffffffffL);
            if (filled < k) {
                heap[filled] = key;
                siftUp(heap, filled++);
                if (filled == k) {
                    worst = valueOf(heap[0]);
                }
            } else if (key < heap[0]) {
                heap[0] = key;
                siftDown(heap, k);
                worst = valueOf(heap[0]);
            }
        }
        Arrays.sort(heap, 0, filled);
        if (id.length < filled) {
            id = new int[filled];
            logit = new float[filled];
            p = new float[filled];
        }
        for (int i = 0; i < filled; i++) {
            id[i] = (int) heap[i];
            logit[i] = valueOf(heap[i]);
            p[i] = 0;
        }
        size = filled;
        sorted = true;
        selected = -1;
    }

    private static void siftUp(long[] heap, int c) {
        while (c > 0 && heap[(c - 1) / 2] < heap[c]) {
            long t = heap[c];
            heap[c] = heap[(c - 1) / 2];
            heap[(c - 1) / 2] = t;
            c = (c - 1) / 2;
        }
    }

    private static void siftDown(long[] heap, int k) {
        int c = 0;
        while (true) {
            int l = 2 * c + 1;
            int r = l + 1;
            int m = c;
            if (l < k && heap[l] > heap[m]) {
                m = l;
            }
            if (r < k && heap[r] > heap[m]) {
                m = r;
            }
            if (m == c) {
                return;
            }
            long t = heap[c];
            heap[c] = heap[m];
            heap[m] = t;
            c = m;
        }
    }

    /** The logit a key was made from (the inverse of {@link #descending}). */
    private static float valueOf(long key) {
        int ascending = ~(int) (key >>> 32);
        int bits = ascending < 0 ? ascending ^ 0x7fffffff : ascending;
        return Float.intBitsToFloat(bits);
    }

    /** Keeps the {@code k} highest logits, sorted descending (ties: lower index first). */
    void partialSort(int k) {
        k = Math.min(k, size);
        long[] keys = (long) k * 16 < size ? select(k) : all();
        Arrays.sort(keys, 0, k);
        int[] nid = new int[k];
        float[] nl = new float[k];
        float[] np = new float[k];
        for (int i = 0; i < k; i++) {
            int j = (int) keys[i];
            nid[i] = id[j];
            nl[i] = logit[j];
            np[i] = p[j];
        }
        System.arraycopy(nid, 0, id, 0, k);
        System.arraycopy(nl, 0, logit, 0, k);
        System.arraycopy(np, 0, p, 0, k);
        size = k;
        sorted = true;
    }

    private long key(int i) {
        return ((long) descending(logit[i]) << 32) | (i & 0xffffffffL);
    }

    private long[] all() {
        long[] keys = new long[size];
        for (int i = 0; i < size; i++) {
            keys[i] = key(i);
        }
        Arrays.sort(keys);
        return keys;
    }

    /** The k smallest keys (highest logits) through a bounded max-heap: O(n log k) instead of a full sort. */
    private long[] select(int k) {
        long[] heap = new long[k];
        int n = 0;
        for (int i = 0; i < size; i++) {
            long key = key(i);
            if (n < k) {
                heap[n] = key;
                siftUp(heap, n++);
            } else if (key < heap[0]) {
                heap[0] = key;
                siftDown(heap, k);
            }
        }
        return heap;
    }

    /** An int whose ascending order is the floats' descending order. */
    private static int descending(float f) {
        int bits = Float.floatToIntBits(f);
        int ascending = bits < 0 ? bits ^ 0x7fffffff : bits; // signed order of ints = order of floats
        return ~ascending;
    }

    /** softmax over the current tokens into p (float, as llama.cpp), sorting first when asked. */
    void softmax(boolean sort) {
        if (sort && !sorted) {
            partialSort(size);
        }
        float max = logit[0];
        if (!sorted) {
            for (int i = 1; i < size; i++) {
                max = Math.max(max, logit[i]);
            }
        }
        float sum = 0;
        for (int i = 0; i < size; i++) {
            float e = (float) Math.exp(logit[i] - max);
            p[i] = e;
            sum += e;
        }
        for (int i = 0; i < size; i++) {
            p[i] /= sum;
        }
    }

    /** Keeps the tokens at the given indices, in that order. */
    void keep(int[] indices, int n) {
        int[] nid = new int[n];
        float[] nl = new float[n];
        float[] np = new float[n];
        for (int i = 0; i < n; i++) {
            nid[i] = id[indices[i]];
            nl[i] = logit[indices[i]];
            np[i] = p[indices[i]];
        }
        System.arraycopy(nid, 0, id, 0, n);
        System.arraycopy(nl, 0, logit, 0, n);
        System.arraycopy(np, 0, p, 0, n);
        size = n;
    }

    /** Forgets the first {@code n} tokens (the array starts later, as llama.cpp moves its data pointer). */
    void dropFirst(int n) {
        System.arraycopy(id, n, id, 0, size - n);
        System.arraycopy(logit, n, logit, 0, size - n);
        System.arraycopy(p, n, p, 0, size - n);
        size -= n;
    }
}
