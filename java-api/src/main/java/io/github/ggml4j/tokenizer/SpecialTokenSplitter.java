package io.github.ggml4j.tokenizer;

import static io.github.ggml4j.tokenizer.VocabularyAnalysis.ATTR_CONTROL;
import static io.github.ggml4j.tokenizer.VocabularyAnalysis.ATTR_LSTRIP;
import static io.github.ggml4j.tokenizer.VocabularyAnalysis.ATTR_RSTRIP;
import static io.github.ggml4j.tokenizer.VocabularyAnalysis.ATTR_UNKNOWN;

import java.util.Arrays;

/**
 * Cuts special tokens out of raw text before the model's own tokenization, as llama.cpp's
 * {@code tokenizer_st_partition}: special tokens are taken one at a time, longest first, and each one's
 * leftmost non-overlapping occurrences are cut from the text pieces that remain. User-defined tokens are
 * always cut; control and unknown tokens only when parsing special tokens. Tokens flagged lstrip/rstrip
 * swallow the ASCII whitespace next to them.
 *
 * <p>A first pass over the text with a trie finds which special tokens occur at all, so a vocabulary with
 * thousands of them costs one scan, not one scan per token.
 *
 * <p>The result is a list of pairs: {@code (start, end)} of a text piece, or {@code (-1 - id, 0)} for a
 * token.
 */
final class SpecialTokenSplitter {

    private final int[] ids;       // in matching order
    private final String[] texts;
    private final int[] attrs;
    private final LongIntMap edges = new LongIntMap(256); // (node << 16 | char) -> child node
    private int[] terminal = new int[64];                 // node -> index into ids, or -1
    private int nodes = 1;
    private final long[] firstChars = new long[1024];

    SpecialTokenSplitter(int[] order, TokenTable table, int[] tokenAttrs) {
        ids = order.clone();
        texts = new String[ids.length];
        attrs = new int[ids.length];
        Arrays.fill(terminal, -1);
        for (int k = 0; k < ids.length; k++) {
            texts[k] = table.string(ids[k]);
            attrs[k] = tokenAttrs[ids[k]];
            insert(texts[k], k);
        }
    }

    private void insert(String text, int index) {
        int node = 0;
        char first = text.charAt(0);
        firstChars[first >>> 6] |= 1L << first;
        for (int i = 0; i < text.length(); i++) {
            long key = ((long) node << 16) | text.charAt(i);
            int child = edges.get(key);
            if (child < 0) {
                child = nodes++;
                if (child == terminal.length) {
                    int old = terminal.length;
                    terminal = Arrays.copyOf(terminal, old * 2);
                    Arrays.fill(terminal, old, terminal.length, -1);
                }
                edges.putIfAbsent(key, child);
            }
            node = child;
        }
        terminal[node] = index;
    }

    IntList split(String text, boolean parseSpecial) {
        IntList frags = new IntList();
        if (text.isEmpty()) {
            return frags;
        }
        frags.add(0);
        frags.add(text.length());
        boolean[] present = occurring(text);
        for (int k = 0; k < ids.length; k++) {
            if (!present[k] || (!parseSpecial && (attrs[k] & (ATTR_CONTROL | ATTR_UNKNOWN)) != 0)) {
                continue;
            }
            frags = cut(text, frags, k);
        }
        return frags;
    }

    /** Which special tokens occur anywhere in {@code text}. */
    private boolean[] occurring(String text) {
        boolean[] present = new boolean[ids.length];
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if ((firstChars[c >>> 6] & (1L << c)) == 0) {
                continue;
            }
            int node = 0;
            for (int j = i; j < n; j++) {
                node = edges.get(((long) node << 16) | text.charAt(j));
                if (node < 0) {
                    break;
                }
                if (terminal[node] >= 0) {
                    present[terminal[node]] = true;
                }
            }
        }
        return present;
    }

    private IntList cut(String text, IntList frags, int k) {
        String special = texts[k];
        int id = ids[k];
        boolean lstrip = (attrs[k] & ATTR_LSTRIP) != 0;
        boolean rstrip = (attrs[k] & ATTR_RSTRIP) != 0;
        IntList out = new IntList(frags.size() + 8);
        for (int f = 0; f < frags.size(); f += 2) {
            int start = frags.get(f);
            int end = frags.get(f + 1);
            if (start < 0) {
                out.add(start);
                out.add(end);
                continue;
            }
            while (start < end) {
                int match = text.indexOf(special, start);
                if (match < 0 || match + special.length() > end) {
                    out.add(start);
                    out.add(end);
                    break;
                }
                int leftEnd = match;
                if (lstrip) {
                    while (leftEnd > start && isCSpace(text.charAt(leftEnd - 1))) {
                        leftEnd--;
                    }
                }
                if (leftEnd > start) {
                    out.add(start);
                    out.add(leftEnd);
                }
                out.add(-1 - id);
                out.add(0);
                start = match + special.length();
                if (rstrip) {
                    while (start < end && isCSpace(text.charAt(start))) {
                        start++;
                    }
                }
            }
        }
        return out;
    }

    /** C's {@code isspace} in the "C" locale. */
    private static boolean isCSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
}
