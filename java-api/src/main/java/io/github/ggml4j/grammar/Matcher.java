package io.github.ggml4j.grammar;

import java.util.Arrays;

import static io.github.ggml4j.grammar.GbnfParser.TOKEN;
import static io.github.ggml4j.grammar.Stacks.EMPTY;

/**
 * Where a parse stands: llama.cpp's set of stacks plus the incomplete UTF-8 sequence the last token ended in.
 * Advances by token ({@link #accept}), answers whether one token may come next ({@link #allows}), and filters a
 * whole vocabulary in one trie walk ({@link #mask}). Semantics as llama.cpp's llama-grammar.cpp, with one
 * deliberate difference: a token whose text runs into a token element ({@code <[id]>}) partway is refused by
 * {@link #allows}/{@link #mask} as {@code accept} would refuse it (llama.cpp's filter lets it through, then its
 * accept fails). Not thread-safe.
 */
final class Matcher {

    private final Stacks stacks;
    private final Rules rules;
    private int[] state;
    private int partialValue;
    private int partialRemain;
    private int[][] levels = new int[8][];

    Matcher(Rules rules) {
        this.rules = rules;
        this.stacks = new Stacks(rules);
        int marker = stacks.newSet();
        int[] out = new int[4];
        int n = 0;
        int p = rules.start[rules.root];
        while (true) {
            int s = stacks.pushUnlessEnd(p, EMPTY);
            for (int u : stacks.expand(s)) {
                if (stacks.addToSet(marker, u)) {
                    out = Stacks.grow(out, n);
                    out[n++] = u;
                }
            }
            while (!Rules.isEndOfSequence(rules.type[p])) {
                p++;
            }
            if (rules.type[p] == GbnfParser.ALT) {
                p++;
            } else {
                break;
            }
        }
        state = Arrays.copyOf(out, n);
    }

    /** Whether the text so far is a complete sentence of the grammar (end of generation may come). */
    boolean complete() {
        for (int s : state) {
            if (s == EMPTY) {
                return true;
            }
        }
        return false;
    }

    /** Stacks now (for tests and limits). */
    int stackCount() {
        return state.length;
    }

    /** Advances past a token with these bytes; false (state unchanged) when no stack survives it. */
    boolean accept(int token, byte[] piece) {
        Utf8Decode d = Utf8Decode.of(piece, partialValue, partialRemain);
        int[] cps = d.codePoints();
        int marker = stacks.newSet();
        int[] out = new int[Math.max(4, state.length)];
        int n = 0;
        for (int s : state) {
            if (s == EMPTY) {
                continue;
            }
            if (stacks.isTokenTop(s)) {
                if (matchToken(s, token)) {
                    for (int u : stacks.after(s)) {
                        if (stacks.addToSet(marker, u)) {
                            out = Stacks.grow(out, n);
                            out[n++] = u;
                        }
                    }
                }
                continue;
            }
            int[] cur = {s};
            for (int i = 0; i < cps.length && cur.length > 0; i++) {
                cur = advance(cur, cur.length, cps[i]);
            }
            for (int u : cur) {
                if (stacks.addToSet(marker, u)) {
                    out = Stacks.grow(out, n);
                    out[n++] = u;
                }
            }
        }
        if (n == 0) {
            return false;
        }
        state = Arrays.copyOf(out, n);
        partialValue = d.remain() > 0 ? d.partialValue() : 0;
        partialRemain = d.remain();
        return true;
    }

    private boolean matchToken(int s, int token) {
        int p = stacks.top(s);
        boolean eq = rules.value[p] == token;
        return rules.type[p] == TOKEN ? eq : !eq;
    }

    /** The stacks after one code point from {@code set}: those whose top class matches, advanced. */
    private int[] advance(int[] set, int len, int cp) {
        int marker = stacks.newSet();
        int[] out = null;
        int n = 0;
        for (int i = 0; i < len; i++) {
            int s = set[i];
            if (stacks.isCharTop(s) && rules.matchChar(stacks.top(s), cp)) {
                for (int u : stacks.after(s)) {
                    if (stacks.addToSet(marker, u)) {
                        if (out == null) {
                            out = new int[4];
                        }
                        out = Stacks.grow(out, n);
                        out[n++] = u;
                    }
                }
            }
        }
        return out == null ? new int[0] : Arrays.copyOf(out, n);
    }

    /** Whether {@code token} may come next (end-of-generation tokens only where the grammar is complete). */
    boolean allows(TokenTrie v, int token) {
        if (v.eog[token]) {
            return complete();
        }
        if (v.dead[token] && partialRemain == 0) {
            return false;
        }
        byte[] piece = v.pieces[token];
        if (piece.length == 0 || piece[0] == 0) {
            return false;
        }
        Utf8Decode d = partialRemain == 0 ? v.decoded[token] : Utf8Decode.of(piece, partialValue, partialRemain);
        if (d.invalid()) {
            return false;
        }
        int[] cps = d.codePoints();
        for (int s : state) {
            if (s == EMPTY) {
                if (cps.length == 0 && d.remain() == 0) {
                    return true;
                }
            } else if (stacks.isTokenTop(s)) {
                if (cps.length == 0 ? d.remain() == 0 : matchToken(s, token)) {
                    return true;
                }
            } else {
                int[] cur = {s};
                for (int i = 0; i < cps.length && cur.length > 0; i++) {
                    cur = advance(cur, cur.length, cps[i]);
                }
                if (cur.length > 0 && (d.remain() == 0 || partialFits(cur, cur.length, d))) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean partialFits(int[] set, int len, Utf8Decode d) {
        for (int i = 0; i < len; i++) {
            int s = set[i];
            if (stacks.isCharTop(s) && rules.matchPartialChar(stacks.top(s), d.partialValue(), d.remain())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Marks in {@code allowed} (cleared first) every token that may come next; returns how many. One walk over
     * the vocabulary's trie when the last token ended on a character boundary, else a check per token.
     */
    int mask(TokenTrie v, boolean[] allowed) {
        Arrays.fill(allowed, 0, v.vocabSize, false);
        int count = 0;
        boolean complete = complete();
        if (partialRemain != 0) {
            for (int t = 0; t < v.vocabSize; t++) {
                if (allows(v, t)) {
                    allowed[t] = true;
                    count++;
                }
            }
            return count;
        }
        for (int t = 0; t < v.vocabSize; t++) {
            if (v.eog[t] && complete) {
                allowed[t] = true;
                count++;
            }
        }
        // token elements on top: matched by id, whatever the text
        for (int s : state) {
            if (stacks.isTokenTop(s)) {
                int p = stacks.top(s);
                int id = rules.value[p];
                if (rules.type[p] == TOKEN) {
                    if (id >= 0 && id < v.vocabSize && tokenTopOk(v, id) && !allowed[id]) {
                        allowed[id] = true;
                        count++;
                    }
                } else {
                    for (int t = 0; t < v.vocabSize; t++) {
                        if (t != id && !allowed[t] && tokenTopOk(v, t)) {
                            allowed[t] = true;
                            count++;
                        }
                    }
                }
            }
        }
        int[] root = new int[state.length];
        int n = 0;
        for (int s : state) {
            if (stacks.isCharTop(s)) {
                root[n++] = s;
            }
        }
        if (n > 0) {
            count += walk(v, 0, root, n, 0, allowed);
        }
        return count;
    }

    private static boolean tokenTopOk(TokenTrie v, int t) {
        return !v.eog[t] && !v.dead[t] && (v.decoded[t].codePoints().length > 0 || v.decoded[t].remain() == 0);
    }

    private int walk(TokenTrie v, int node, int[] set, int len, int depth, boolean[] allowed) {
        int count = 0;
        for (int k = v.tokStart[node]; k < v.tokStart[node + 1]; k++) {
            int t = v.tokIds[k];
            if (allowed[t]) {
                continue;
            }
            Utf8Decode d = v.decoded[t];
            if (d.remain() == 0 || partialFits(set, len, d)) {
                allowed[t] = true;
                count++;
            }
        }
        int e0 = v.edgeStart[node];
        int e1 = v.edgeStart[node + 1];
        if (e0 == e1) {
            return count;
        }
        if (depth + 1 >= levels.length) {
            levels = Arrays.copyOf(levels, levels.length * 2);
        }
        int[] next = levels[depth + 1];
        if (next == null) {
            next = levels[depth + 1] = new int[16];
        }
        int[] type = rules.type;
        for (int e = e0; e < e1; e++) {
            int cp = v.edgeCp[e];
            int marker = stacks.newSet();
            int m = 0;
            for (int i = 0; i < len; i++) {
                int s = set[i];
                if (stacks.isCharTop(s) && rules.matchChar(stacks.top(s), cp)) {
                    for (int u : stacks.after(s)) {
                        if (stacks.addToSet(marker, u)) {
                            if (m == next.length) {
                                next = levels[depth + 1] = Arrays.copyOf(next, m * 2);
                            }
                            next[m++] = u;
                        }
                    }
                }
            }
            if (m > 0) {
                count += walk(v, v.edgeNode[e], next, m, depth + 1, allowed);
                next = levels[depth + 1]; // a deeper walk may not touch this level, but keep the grown array
            }
        }
        return count;
    }
}
