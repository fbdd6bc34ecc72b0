package io.github.ggml4j.grammar;

import java.util.List;

import static io.github.ggml4j.grammar.GbnfParser.ALT;
import static io.github.ggml4j.grammar.GbnfParser.CHAR;
import static io.github.ggml4j.grammar.GbnfParser.CHAR_ALT;
import static io.github.ggml4j.grammar.GbnfParser.CHAR_ANY;
import static io.github.ggml4j.grammar.GbnfParser.CHAR_NOT;
import static io.github.ggml4j.grammar.GbnfParser.CHAR_RNG_UPPER;
import static io.github.ggml4j.grammar.GbnfParser.END;
import static io.github.ggml4j.grammar.GbnfParser.RULE_REF;

/**
 * The rules of a parsed grammar in one flat array: a position is an index into {@link #type} and
 * {@link #value}; {@link #start} gives each rule's first position. Checked for left recursion (refused, as
 * llama.cpp does). Immutable and shareable.
 */
final class Rules {

    final int[] type;
    final int[] value;
    final int[] start;
    final int root;
    /** For a position holding a character class: the position after the class; else -1. */
    final int[] classEnd;
    /**
     * Where the code points split into classes no element tells apart: class {@code k} is
     * [{@code bounds[k-1]}, {@code bounds[k]}) with {@code bounds[-1]} = 0. Every character element matches all of
     * a class or none of it, so the parse steps by class, not by code point.
     */
    final int[] bounds;

    Rules(List<int[]> rules, int root, List<String> names) {
        int n = 0;
        for (int[] r : rules) {
            n += r.length / 2;
        }
        type = new int[n];
        value = new int[n];
        start = new int[rules.size()];
        int p = 0;
        for (int i = 0; i < rules.size(); i++) {
            start[i] = p;
            int[] r = rules.get(i);
            for (int j = 0; j < r.length; j += 2) {
                type[p] = r[j];
                value[p++] = r[j + 1];
            }
        }
        this.root = root;
        classEnd = new int[n];
        for (int i = 0; i < n; i++) {
            classEnd[i] = -1;
            if (type[i] == CHAR || type[i] == CHAR_NOT || type[i] == CHAR_ANY) {
                int q = i;
                do {
                    q += type[q + 1] == CHAR_RNG_UPPER ? 2 : 1;
                } while (type[q] == CHAR_ALT);
                classEnd[i] = q;
            }
        }
        java.util.TreeSet<Long> b = new java.util.TreeSet<>();
        for (int i = 0; i < n; i++) {
            int t = type[i];
            if (t == CHAR || t == CHAR_NOT || t == CHAR_ALT) {
                long lo = Integer.toUnsignedLong(value[i]);
                long hi = i + 1 < n && type[i + 1] == CHAR_RNG_UPPER ? Integer.toUnsignedLong(value[i + 1]) : lo;
                if (lo > 0) {
                    b.add(lo);
                }
                if (hi + 1 <= 0xffffffffL && hi >= lo) {
                    b.add(hi + 1);
                }
            }
        }
        bounds = new int[b.size()];
        int k = 0;
        for (long v : b) {
            bounds[k++] = (int) v;
        }
        checkLeftRecursion(names);
    }

    /** The number of code point classes. */
    int classes() {
        return bounds.length + 1;
    }

    /** The class of a code point. */
    int classOf(int cp) {
        int lo = 0;
        int hi = bounds.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Integer.compareUnsigned(bounds[mid], cp) <= 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** A code point of class {@code k}. */
    int representative(int k) {
        return k == 0 ? 0 : bounds[k - 1];
    }

    static boolean isEndOfSequence(int t) {
        return t == END || t == ALT;
    }

    /** llama.cpp's char match at a class position: does {@code chr} satisfy it. */
    boolean matchChar(int pos, int chr) {
        boolean found = false;
        boolean positive = type[pos] == CHAR || type[pos] == CHAR_ANY;
        do {
            if (type[pos + 1] == CHAR_RNG_UPPER) {
                found = found || (Integer.compareUnsigned(value[pos], chr) <= 0
                        && Integer.compareUnsigned(chr, value[pos + 1]) <= 0);
                pos += 2;
            } else if (type[pos] == CHAR_ANY) {
                found = true;
                pos += 1;
            } else {
                found = found || value[pos] == chr;
                pos += 1;
            }
        } while (type[pos] == CHAR_ALT);
        return found == positive;
    }

    /**
     * Whether some completion of a partial UTF-8 sequence ({@code partialValue}, {@code nRemain} bytes to come)
     * could satisfy the class at {@code pos}.
     */
    boolean matchPartialChar(int pos, int partialValue, int nRemain) {
        boolean positive = type[pos] == CHAR || type[pos] == CHAR_ANY;
        if (nRemain < 0 || (nRemain == 1 && partialValue < 2)) {
            return false;
        }
        long low = (long) partialValue << (nRemain * 6);
        long high = low | ((1L << (nRemain * 6)) - 1);
        if (low == 0) {
            if (nRemain == 2) {
                low = 1 << 11;
            } else if (nRemain == 3) {
                low = 1 << 16;
            }
        }
        do {
            if (type[pos + 1] == CHAR_RNG_UPPER) {
                if (Integer.toUnsignedLong(value[pos]) <= high && low <= Integer.toUnsignedLong(value[pos + 1])) {
                    return positive;
                }
                pos += 2;
            } else if (type[pos] == CHAR_ANY) {
                return true;
            } else {
                long v = Integer.toUnsignedLong(value[pos]);
                if (low <= v && v <= high) {
                    return positive;
                }
                pos += 1;
            }
        } while (type[pos] == CHAR_ALT);
        return !positive;
    }

    private void checkLeftRecursion(List<String> names) {
        int nRules = start.length;
        boolean[] visited = new boolean[nRules];
        boolean[] inProgress = new boolean[nRules];
        boolean[] mayBeEmpty = new boolean[nRules];
        for (int i = 0; i < nRules; i++) {
            if (!visited[i] && leftRecursive(i, visited, inProgress, mayBeEmpty, 0)) {
                throw new GrammarException("left recursion in rule '" + names.get(i)
                        + "' (a rule that can reach itself before consuming a character is not supported)");
            }
        }
    }

    private boolean leftRecursive(int rule, boolean[] visited, boolean[] inProgress, boolean[] mayBeEmpty,
                                  int depth) {
        if (inProgress[rule]) {
            return true;
        }
        if (visited[rule]) {
            return false; // explored before without finding a cycle: nothing reachable from it leads back
        }
        if (depth > 10_000) {
            throw new GrammarException("grammar nests rules too deeply");
        }
        inProgress[rule] = true;
        boolean atStart = true;
        for (int p = start[rule]; ; p++) {
            if (isEndOfSequence(type[p])) {
                if (atStart) {
                    mayBeEmpty[rule] = true;
                    break;
                }
                atStart = true;
                if (type[p] == END) {
                    break;
                }
            } else {
                atStart = false;
            }
        }
        boolean recurse = true;
        for (int p = start[rule]; ; p++) {
            if (type[p] == RULE_REF && recurse) {
                if (leftRecursive(value[p], visited, inProgress, mayBeEmpty, depth + 1)) {
                    return true;
                }
                if (!mayBeEmpty[value[p]]) {
                    recurse = false;
                }
            } else if (isEndOfSequence(type[p])) {
                recurse = true;
            } else {
                recurse = false;
            }
            if (type[p] == END) {
                break;
            }
        }
        inProgress[rule] = false;
        visited[rule] = true;
        return false;
    }
}
