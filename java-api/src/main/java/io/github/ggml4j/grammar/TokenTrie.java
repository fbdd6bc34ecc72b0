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

    // trie: node n has edges [edgeStart[n], edgeStart[n] + its edge count) and tokens [tokStart[n], tokStart[n + 1])
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
        int n = nodes();
        subtreeEnd = new int[n];
        for (int node = n - 1; node >= 0; node--) {
            int e1 = edgeStart[node + 1];
            subtreeEnd[node] = e1 > edgeStart[node] ? subtreeEnd[edgeNode[e1 - 1]] : node + 1;
        }
    }

    private final Map<Rules, Classes> classes = new WeakHashMap<>();

    /**
     * The trie under one grammar's code point classes: each edge's class, and per node whether its subtree holds a
     * token ending in an incomplete UTF-8 sequence, and (when the grammar has at most 64 classes) the classes its
     * subtree's edges use: a subtree whose classes all leave the parse where it is is accepted whole.
     */
    record Classes(int[] edge, long[] subtree, boolean[] partial) {
    }

    Classes classes(Rules rules) {
        synchronized (classes) {
            return classes.computeIfAbsent(rules, r -> {
                int[] c = new int[edgeCp.length];
                for (int e = 0; e < c.length; e++) {
                    c[e] = r.classOf(edgeCp[e]);
                }
                int n = nodes();
                long[] sub = r.classes() <= 64 ? new long[n] : null;
                boolean[] partial = new boolean[n];
                for (int node = n - 1; node >= 0; node--) { // preorder: children after their parent
                    for (int k = tokStart[node]; k < tokStart[node + 1]; k++) {
                        partial[node] |= decoded[tokIds[k]].remain() != 0;
                    }
                    for (int e = edgeStart[node]; e < edgeStart[node + 1]; e++) {
                        partial[node] |= partial[edgeNode[e]];
                        if (sub != null) {
                            sub[node] |= (1L << c[e]) | sub[edgeNode[e]];
                        }
                    }
                }
                return new Classes(c, sub, partial);
            });
        }
    }

    /** The node after {@code node}'s subtree in preorder: its tokens are [tokStart[node], tokStart[end]). */
    final int[] subtreeEnd;

    int nodes() {
        return edgeStart.length - 1;
    }

    /**
     * Builds the trie depth-first from the sorted token list (a node is a range of tokens sharing a prefix), nodes
     * numbered in preorder so that a walk reads the arrays front to back.
     */
    private static final class Builder {
        final int[] sorted;
        final Utf8Decode[] decoded;
        int[] edgeStart = new int[1024];
        int[] edgeCp = new int[1024];
        int[] edgeNode = new int[1024];
        int[] tokStart = new int[1024];
        int[] tokIds;
        int maxDepth;
        int nNodes;
        int nEdges;
        int nToks;

        Builder(int[] sorted, Utf8Decode[] decoded, int live) {
            this.sorted = sorted;
            this.decoded = decoded;
            this.tokIds = new int[live];
        }

        private int cp(int token, int depth) {
            int[] c = decoded[token].codePoints();
            return depth < c.length ? c[depth] : -1;
        }

        void build() {
            node(0, sorted.length, 0);
            edgeStart = Arrays.copyOf(edgeStart, nNodes + 1);
            tokStart = Arrays.copyOf(tokStart, nNodes + 1);
            edgeStart[nNodes] = nEdges;
            tokStart[nNodes] = nToks;
            edgeCp = Arrays.copyOf(edgeCp, nEdges);
            edgeNode = Arrays.copyOf(edgeNode, nEdges);
        }

        private int node(int lo, int hi, int depth) {
            int id = nNodes++;
            if (nNodes + 1 >= edgeStart.length) {
                edgeStart = Arrays.copyOf(edgeStart, edgeStart.length * 2);
                tokStart = Arrays.copyOf(tokStart, tokStart.length * 2);
            }
            maxDepth = Math.max(maxDepth, depth);
            tokStart[id] = nToks;
            int i = lo;
            while (i < hi && cp(sorted[i], depth) < 0) {
                tokIds[nToks++] = sorted[i++];
            }
            int groups = 0;
            for (int j = i; j < hi; groups++) {
                int c = cp(sorted[j], depth);
                while (j < hi && cp(sorted[j], depth) == c) {
                    j++;
                }
            }
            int first = nEdges;
            edgeStart[id] = first;
            nEdges += groups;
            while (nEdges > edgeCp.length) {
                edgeCp = Arrays.copyOf(edgeCp, edgeCp.length * 2);
                edgeNode = Arrays.copyOf(edgeNode, edgeNode.length * 2);
            }
            for (int g = 0; i < hi; g++) {
                int c = cp(sorted[i], depth);
                int j = i + 1;
                while (j < hi && cp(sorted[j], depth) == c) {
                    j++;
                }
                int child = node(i, j, depth + 1); // may grow the arrays: store after
                edgeCp[first + g] = c;
                edgeNode[first + g] = child;
                i = j;
            }
            return id;
        }
    }
}
