package io.github.ggml4j.grammar;

import java.util.Arrays;

import static io.github.ggml4j.grammar.GbnfParser.CHAR;
import static io.github.ggml4j.grammar.GbnfParser.CHAR_ANY;
import static io.github.ggml4j.grammar.GbnfParser.CHAR_NOT;
import static io.github.ggml4j.grammar.GbnfParser.RULE_REF;
import static io.github.ggml4j.grammar.GbnfParser.TOKEN;
import static io.github.ggml4j.grammar.GbnfParser.TOKEN_NOT;

/**
 * llama.cpp's parse stacks (lists of rule positions, the top the next element to match), hash-consed: a stack is
 * an int id for (top position, rest of the stack), so equal stacks are equal ids and a set of stacks is a set of
 * ints. Id 0 is the empty stack (the grammar is complete). What llama.cpp recomputes per character is cached per
 * id here: {@link #expand} (its {@code advance_stack}: a stack to the stacks whose top is a terminal) and
 * {@link #after} (the stacks once the terminal on top has matched). The work is bounded: too many stacks in one
 * expansion throws a {@link GrammarException} rather than letting an ambiguous grammar stall the sampler.
 */
final class Stacks {

    static final int EMPTY = 0;
    /** Most stacks one expansion may visit. */
    static final int MAX_EXPAND = 100_000;
    /** Most distinct stacks one generation may create. */
    static final int MAX_NODES = 8_000_000;

    final Rules rules;
    private int[] pos = new int[1024];
    private int[] parent = new int[1024];
    private int count = 1;
    private long[] keys = new long[2048];
    private int[] vals = new int[2048];
    private int used;
    private int[][] expandCache = new int[1024][];
    private int[][] afterCache = new int[1024][];
    private int[] mark = new int[1024];
    private int[] setMark = new int[1024];
    private int epoch;
    private int setEpoch;
    private int[] todo = new int[64];
    private int[] out = new int[64];

    Stacks(Rules rules) {
        this.rules = rules;
        Arrays.fill(keys, -1L);
    }

    int top(int id) {
        return pos[id];
    }

    /** The type of the element on top of a non-empty stack. */
    int topType(int id) {
        return rules.type[pos[id]];
    }

    boolean isCharTop(int id) {
        if (id == EMPTY) {
            return false;
        }
        int t = rules.type[pos[id]];
        return t == CHAR || t == CHAR_NOT || t == CHAR_ANY;
    }

    boolean isTokenTop(int id) {
        if (id == EMPTY) {
            return false;
        }
        int t = rules.type[pos[id]];
        return t == TOKEN || t == TOKEN_NOT;
    }

    /** The stack {@code p} pushed on {@code below}. */
    int push(int p, int below) {
        long key = ((long) p << 32) | (below & 0xffffffffL);
        int mask = keys.length - 1;
        int h = (int) (mix(key) & mask);
        while (keys[h] != -1L) {
            if (keys[h] == key) {
                return vals[h];
            }
            h = (h + 1) & mask;
        }
        if (count >= MAX_NODES) {
            throw new GrammarException("the grammar needs more than " + MAX_NODES
                    + " parse stacks; it is too ambiguous to be used for sampling");
        }
        int id = count++;
        if (id == pos.length) {
            int n = pos.length * 2;
            pos = Arrays.copyOf(pos, n);
            parent = Arrays.copyOf(parent, n);
            expandCache = Arrays.copyOf(expandCache, n);
            afterCache = Arrays.copyOf(afterCache, n);
            mark = Arrays.copyOf(mark, n);
            setMark = Arrays.copyOf(setMark, n);
        }
        pos[id] = p;
        parent[id] = below;
        keys[h] = key;
        vals[h] = id;
        if (++used * 2 > keys.length) {
            rehash();
        }
        return id;
    }

    private static long mix(long k) {
        k *= 0x9E3779B97F4A7C15L;
        return k ^ (k >>> 29);
    }

    private void rehash() {
        long[] ok = keys;
        int[] ov = vals;
        keys = new long[ok.length * 2];
        vals = new int[ok.length * 2];
        Arrays.fill(keys, -1L);
        int mask = keys.length - 1;
        for (int i = 0; i < ok.length; i++) {
            if (ok[i] != -1L) {
                int h = (int) (mix(ok[i]) & mask);
                while (keys[h] != -1L) {
                    h = (h + 1) & mask;
                }
                keys[h] = ok[i];
                vals[h] = ov[i];
            }
        }
    }

    /** The stack holding {@code p} (if it is not the end of an alternative) on top of {@code below}. */
    int pushUnlessEnd(int p, int below) {
        return Rules.isEndOfSequence(rules.type[p]) ? below : push(p, below);
    }

    /** The stacks with a terminal (or nothing) on top that {@code id} expands to: llama.cpp's advance_stack. */
    int[] expand(int id) {
        int[] cached = expandCache[id];
        if (cached != null) {
            return cached;
        }
        int[] type = rules.type;
        int[] value = rules.value;
        int seen = ++epoch;
        int outSeen = ++epoch;
        int nTodo = 0;
        int nOut = 0;
        int work = 0;
        todo[nTodo++] = id;
        while (nTodo > 0) {
            int s = todo[--nTodo];
            if (mark[s] == seen || mark[s] == outSeen) {
                continue;
            }
            if (++work > MAX_EXPAND) {
                throw new GrammarException("one step of the grammar expands to more than " + MAX_EXPAND
                        + " parse stacks; it is too ambiguous to be used for sampling");
            }
            if (s == EMPTY) {
                mark[s] = outSeen;
                out = grow(out, nOut);
                out[nOut++] = s;
                continue;
            }
            int p = pos[s];
            int t = type[p];
            if (t == RULE_REF) {
                mark[s] = seen;
                int below = parent[s];
                int sub = rules.start[value[p]];
                while (true) {
                    int base = pushUnlessEnd(p + 1, below);
                    base = pushUnlessEnd(sub, base);
                    todo = grow(todo, nTodo);
                    todo[nTodo++] = base;
                    while (!Rules.isEndOfSequence(type[sub])) {
                        sub++;
                    }
                    if (type[sub] == GbnfParser.ALT) {
                        sub++;
                    } else {
                        break;
                    }
                }
            } else if (t == CHAR || t == CHAR_NOT || t == CHAR_ANY || t == TOKEN || t == TOKEN_NOT) {
                mark[s] = outSeen;
                out = grow(out, nOut);
                out[nOut++] = s;
            } else {
                throw new IllegalStateException("stack left on element type " + t);
            }
        }
        int[] result = Arrays.copyOf(out, nOut);
        expandCache[id] = result;
        return result;
    }

    /** The stacks once the terminal on top of {@code id} has matched (a character or a token). */
    int[] after(int id) {
        int[] cached = afterCache[id];
        if (cached != null) {
            return cached;
        }
        int p = pos[id];
        int next = rules.classEnd[p] >= 0 ? rules.classEnd[p] : p + 1;
        int base = pushUnlessEnd(next, parent[id]);
        int[] result = expand(base);
        afterCache[id] = result;
        return result;
    }

    /** Starts a new set of stacks (for {@link #addToSet}); returns its marker. */
    int newSet() {
        return ++setEpoch;
    }

    /** Adds {@code id} to the set under {@code marker} unless there; returns whether it was added. */
    boolean addToSet(int marker, int id) {
        if (setMark[id] == marker) {
            return false;
        }
        setMark[id] = marker;
        return true;
    }

    /** Stacks created so far. */
    int size() {
        return count;
    }

    static int[] grow(int[] a, int n) {
        return n < a.length ? a : Arrays.copyOf(a, a.length * 2);
    }
}
