package io.github.ggml4j.grammar;

import io.github.ggml4j.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * A vocabulary as the grammar sees it, computed once per tokenizer: each token's bytes (llama.cpp's
 * {@code token_to_piece} with special tokens rendered), their code points decoded from a clean start, and a trie
 * over those code point sequences so that one walk filters the whole vocabulary: tokens sharing a prefix share
 * the grammar work for it. Immutable; shared by every sampler over the same tokenizer.
 */
final class TokenTrie {

    private static final Map<Tokenizer, TokenTrie> CACHE = new WeakHashMap<>();

    final int vocabSize;
    final byte[][] pieces;
    final Utf8Decode[] decoded;
    final boolean[] eog;
    /** Never allowed while the grammar is active: an empty piece, one starting with NUL, or invalid UTF-8. */
    final boolean[] dead;

    // trie: node n has edges [edgeStart[n], edgeStart[n + 1]) and tokens [tokStart[n], tokStart[n + 1])
    final int[] edgeStart;
    final int[] edgeCp;
    final int[] edgeNode;
    final int[] tokStart;
    final int[] tokIds;
    final int maxDepth;

    static TokenTrie of(Tokenizer tokenizer) {
        synchronized (CACHE) {
            return CACHE.computeIfAbsent(tokenizer, TokenTrie::build);
        }
    }

    private static TokenTrie build(Tokenizer t) {
        int n = t.vocabSize();
        byte[][] pieces = new byte[n][];
        boolean[] eog = new boolean[n];
        for (int i = 0; i < n; i++) {
            pieces[i] = t.tokenBytes(i);
            eog[i] = t.isEndOfGeneration(i);
        }
        return new TokenTrie(pieces, eog);
    }

    TokenTrie(byte[][] pieces, boolean[] eog) {
        vocabSize = pieces.length;
        this.pieces = pieces;
        this.eog = eog;
        decoded = new Utf8Decode[vocabSize];
        dead = new boolean[vocabSize];
        int live = 0;
        for (int i = 0; i < vocabSize; i++) {
            byte[] p = pieces[i];
            decoded[i] = Utf8Decode.of(p, 0, 0);
            dead[i] = !eog[i] && (p.length == 0 || p[0] == 0 || decoded[i].invalid());
            if (!dead[i] && !eog[i]) {
                live++;
            }
        }
        Integer[] order = new Integer[live];
        int k = 0;
        for (int i = 0; i < vocabSize; i++) {
            if (!dead[i] && !eog[i]) {
                order[k++] = i;
            }
        }
        Arrays.sort(order, (a, b) -> Arrays.compare(decoded[a].codePoints(), decoded[b].codePoints()));
        int[] sorted = new int[live];
        for (int i = 0; i < live; i++) {
            sorted[i] = order[i];
        }
        Builder b = new Builder(sorted, decoded, live);
        b.build();
        edgeStart = b.edgeStart;
        edgeCp = b.edgeCp;
        edgeNode = b.edgeNode;
        tokStart = b.tokStart;
        tokIds = b.tokIds;
        maxDepth = b.maxDepth;
    }

    int nodes() {
        return edgeStart.length - 1;
    }

    /** Builds the trie breadth-first from the sorted token list: a node is a range of tokens sharing a prefix. */
    private static final class Builder {
        final int[] sorted;
        final Utf8Decode[] decoded;
        int[] edgeStart;
        int[] edgeCp;
        int[] edgeNode;
        int[] tokStart;
        int[] tokIds;
        int maxDepth;

        Builder(int[] sorted, Utf8Decode[] decoded, int live) {
            this.sorted = sorted;
            this.decoded = decoded;
        }

        private int cp(int token, int depth) {
            int[] c = decoded[token].codePoints();
            return depth < c.length ? c[depth] : -1;
        }

        void build() {
            // queue of nodes: token range [lo, hi) and depth
            int cap = 1024;
            int[] lo = new int[cap];
            int[] hi = new int[cap];
            int[] depth = new int[cap];
            int nNodes = 1;
            lo[0] = 0;
            hi[0] = sorted.length;
            int[] es = new int[cap + 1];
            int[] ecp = new int[cap];
            int[] en = new int[cap];
            int[] ts = new int[cap + 1];
            int nEdges = 0;
            int nToks = 0;
            tokIds = new int[sorted.length];
            for (int node = 0; node < nNodes; node++) {
                es[node] = nEdges;
                ts[node] = nToks;
                int l = lo[node];
                int h = hi[node];
                int d = depth[node];
                maxDepth = Math.max(maxDepth, d);
                int i = l;
                while (i < h && cp(sorted[i], d) < 0) {
                    tokIds[nToks++] = sorted[i++];
                }
                while (i < h) {
                    int c = cp(sorted[i], d);
                    int j = i + 1;
                    while (j < h && cp(sorted[j], d) == c) {
                        j++;
                    }
                    if (nNodes == lo.length) {
                        int m = lo.length * 2;
                        lo = Arrays.copyOf(lo, m);
                        hi = Arrays.copyOf(hi, m);
                        depth = Arrays.copyOf(depth, m);
                        es = Arrays.copyOf(es, m + 1);
                        ts = Arrays.copyOf(ts, m + 1);
                    }
                    if (nEdges == ecp.length) {
                        ecp = Arrays.copyOf(ecp, ecp.length * 2);
                        en = Arrays.copyOf(en, en.length * 2);
                    }
                    lo[nNodes] = i;
                    hi[nNodes] = j;
                    depth[nNodes] = d + 1;
                    ecp[nEdges] = c;
                    en[nEdges++] = nNodes++;
                    i = j;
                }
            }
            es[nNodes] = nEdges;
            ts[nNodes] = nToks;
            edgeStart = Arrays.copyOf(es, nNodes + 1);
            tokStart = Arrays.copyOf(ts, nNodes + 1);
            edgeCp = Arrays.copyOf(ecp, nEdges);
            edgeNode = Arrays.copyOf(en, nEdges);
        }
    }
}
