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
    private final StackSets sets;
    private int stateSet = -1;
    private TokenTrie.Classes classes;
    /** Most stack steps one token may take (accept or check), and one vocabulary filter. */
    static final long TOKEN_WORK = 20_000_000L;
    static final long MASK_WORK = 200_000_000L;
    private final long[] spent = new long[1];
    private long budget;

    Matcher(Rules rules) {
        this.rules = rules;
        this.stacks = new Stacks(rules);
        this.sets = new StackSets(stacks);
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
        begin(TOKEN_WORK);
        Utf8Decode d = Utf8Decode.of(piece, partialValue, partialRemain);
        int[] cps = d.codePoints();
        int marker = stacks.newSet();
        int[] out = new int[4];
        int n = 0;
        for (int s : state) {
            if (stacks.isTokenTop(s) && matchToken(s, token)) {
                for (int u : stacks.after(s)) {
                    if (stacks.addToSet(marker, u)) {
                        out = Stacks.grow(out, n);
                        out[n++] = u;
                    }
                }
            }
        }
        // the char stacks advance as one set: the union of llama.cpp's per-stack results
        int set = charSet();
        for (int i = 0; i < cps.length && set != StackSets.DEAD; i++) {
            set = sets.next(set, rules.classOf(cps[i]), spent);
            check();
        }
        if (set != StackSets.DEAD) {
            for (int u : sets.members(set)) {
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
        stateSet = -1;
        partialValue = d.remain() > 0 ? d.partialValue() : 0;
        partialRemain = d.remain();
        return true;
    }

    private boolean matchToken(int s, int token) {
        int p = stacks.top(s);
        boolean eq = rules.value[p] == token;
        return rules.type[p] == TOKEN ? eq : !eq;
    }

    /** The set of the state's stacks whose top is a character class (DEAD if none). */
    private int charSet() {
        if (stateSet == -1) {
            int[] chars = new int[state.length];
            int n = 0;
            for (int s : state) {
                if (stacks.isCharTop(s)) {
                    chars[n++] = s;
                }
            }
            stateSet = n == 0 ? StackSets.DEAD : sets.id(chars, n);
        }
        return stateSet;
    }

    private void begin(long limit) {
        if (sets.size() > StackSets.MAX_SETS) {
            sets.trim();
            stateSet = -1;
        }
        spent[0] = 0;
        budget = limit;
    }

    private void check() {
        if (spent[0] > budget) {
            throw new GrammarException("the grammar is too ambiguous: one step needs more than " + budget
                    + " parse-stack steps");
        }
    }

    /** Whether {@code token} may come next (end-of-generation tokens only where the grammar is complete). */
    boolean allows(TokenTrie v, int token) {
        begin(TOKEN_WORK);
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
            } else if (stacks.isTokenTop(s) && (cps.length == 0 ? d.remain() == 0 : matchToken(s, token))) {
                return true;
            }
        }
        int set = charSet();
        for (int i = 0; i < cps.length && set != StackSets.DEAD; i++) {
            set = sets.next(set, rules.classOf(cps[i]), spent);
            check();
        }
        return set != StackSets.DEAD && (d.remain() == 0 || sets.partialFits(set, d));
    }

    /**
     * Marks in {@code allowed} (cleared first) every token that may come next; returns how many. One walk over
     * the vocabulary's trie when the last token ended on a character boundary, else a check per token.
     */
    int mask(TokenTrie v, boolean[] allowed) {
        Arrays.fill(allowed, 0, v.vocabSize, false);
        int count = 0;
        if (partialRemain != 0) {
            for (int t = 0; t < v.vocabSize; t++) {
                if (allows(v, t)) { // each check has its own budget
                    allowed[t] = true;
                    count++;
                }
            }
            return count;
        }
        begin(MASK_WORK);
        boolean complete = complete();
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
                for (int t = rules.type[p] == TOKEN ? Math.max(0, id) : 0;
                     t < (rules.type[p] == TOKEN ? Math.min(id + 1, v.vocabSize) : v.vocabSize); t++) {
                    if ((rules.type[p] == TOKEN || t != id) && !allowed[t] && tokenTopOk(v, t)) {
                        allowed[t] = true;
                        count++;
                    }
                }
            }
        }
        int root = charSet();
        if (root != StackSets.DEAD) {
            classes = v.classes(rules);
            count += walk(v, 0, root, allowed);
        }
        return count;
    }

    private static boolean tokenTopOk(TokenTrie v, int t) {
        return !v.eog[t] && !v.dead[t] && (v.decoded[t].codePoints().length > 0 || v.decoded[t].remain() == 0);
    }

    private int walk(TokenTrie v, int node, int set, boolean[] allowed) {
        int count = 0;
        long[] sub = classes.subtree();
        if (sub != null && !classes.partial()[node] && (sub[node] & ~sets.selfMask(set, spent)) == 0) {
            // every code point below leaves the parse where it is: the whole subtree fits
            for (int k = v.tokStart[node], end = v.tokStart[v.subtreeEnd[node]]; k < end; k++) {
                int t = v.tokIds[k];
                if (!allowed[t]) {
                    allowed[t] = true;
                    count++;
                }
            }
            return count;
        }
        for (int k = v.tokStart[node]; k < v.tokStart[node + 1]; k++) {
            int t = v.tokIds[k];
            if (!allowed[t]) {
                Utf8Decode d = v.decoded[t];
                if (d.remain() == 0 || sets.partialFits(set, d)) {
                    allowed[t] = true;
                    count++;
                }
            }
        }
        int e1 = v.edgeStart[node + 1];
        spent[0] += e1 - v.edgeStart[node];
        check();
        for (int e = v.edgeStart[node]; e < e1; e++) {
            int next = sets.next(set, classes.edge()[e], spent);
            if (next != StackSets.DEAD) {
                count += walk(v, v.edgeNode[e], next, allowed);
            }
        }
        return count;
    }
}
