package io.github.ggml4j.tokenizer;

import static io.github.ggml4j.tokenizer.Unicode.LETTER;
import static io.github.ggml4j.tokenizer.Unicode.NUMBER;
import static io.github.ggml4j.tokenizer.Unicode.WHITESPACE;

/**
 * GPT-2's pattern {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}, by hand
 * as llama.cpp's fast path does it (so with its category tables, and in linear time).
 */
final class Gpt2Splitter implements Splitter {

    static final Gpt2Splitter INSTANCE = new Gpt2Splitter();

    private Gpt2Splitter() {
    }

    @Override
    public void splitSegment(int[] cps, int start, int end, IntList out) {
        int pos = start;
        while (pos < end) {
            int next = tokenEnd(cps, start, end, pos);
            out.add(next - pos);
            pos = next;
        }
    }

    private static int flagsAt(int[] cps, int start, int end, int pos) {
        return pos >= start && pos < end ? Unicode.flags(cps[pos]) : 0;
    }

    private static int tokenEnd(int[] cps, int start, int end, int pos) {
        int cpt = cps[pos];
        if (cpt == '\'' && pos + 1 < end) {
            int n1 = cps[pos + 1];
            if (n1 == 's' || n1 == 't' || n1 == 'm' || n1 == 'd') {
                return pos + 2;
            }
            if (pos + 2 < end) {
                int n2 = cps[pos + 2];
                if ((n1 == 'r' && n2 == 'e') || (n1 == 'v' && n2 == 'e') || (n1 == 'l' && n2 == 'l')) {
                    return pos + 3;
                }
            }
        }
        int from = cpt == ' ' ? pos + 1 : pos;
        int f2 = flagsAt(cps, start, end, from);
        if ((f2 & LETTER) != 0) {
            return run(cps, start, end, from, LETTER);
        }
        if ((f2 & NUMBER) != 0) {
            return run(cps, start, end, from, NUMBER);
        }
        if ((f2 & (WHITESPACE | LETTER | NUMBER)) == 0 && f2 != 0) {
            int p = from;
            int f;
            while (((f = flagsAt(cps, start, end, p)) & (WHITESPACE | LETTER | NUMBER)) == 0 && f != 0) {
                p++;
            }
            return p;
        }
        int n = 0;
        while ((flagsAt(cps, start, end, pos + n) & WHITESPACE) != 0) {
            n++;
        }
        if (n > 1 && pos + n < end) {
            return pos + n - 1; // \s+(?!\S): leave the last space to the next word
        }
        return n > 0 ? pos + n : pos + 1;
    }

    private static int run(int[] cps, int start, int end, int p, int flag) {
        while ((flagsAt(cps, start, end, p) & flag) != 0) {
            p++;
        }
        return p;
    }
}
