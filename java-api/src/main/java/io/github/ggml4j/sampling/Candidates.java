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
        int n = logits.length;
        if (id.length < n) {
            id = new int[n];
            logit = new float[n];
            p = new float[n];
        }
        for (int i = 0; i < n; i++) {
            id[i] = i;
            logit[i] = logits[i];
            p[i] = 0;
        }
        size = n;
        sorted = false;
        selected = -1;
    }

    /** Keeps the {@code k} highest logits, sorted descending (ties: lower index first). */
    void partialSort(int k) {
        k = Math.min(k, size);
        long[] keys = new long[size];
        for (int i = 0; i < size; i++) {
            keys[i] = ((long) descending(logit[i]) << 32) | (i & 0xffffffffL);
        }
        Arrays.sort(keys);
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
}
