package io.github.ggml4j.tokenizer;

import static io.github.ggml4j.tokenizer.Unicode.LETTER;
import static io.github.ggml4j.tokenizer.Unicode.MARK;
import static io.github.ggml4j.tokenizer.Unicode.NUMBER;
import static io.github.ggml4j.tokenizer.Unicode.WHITESPACE;

/**
 * The Llama 3 family of patterns, by hand as llama.cpp's fast paths do it:
 * {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,k}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+}
 * with {@code k = 3} (Llama 3) or {@code 1} (Qwen 2), and for Qwen 3.5 combining marks counted with letters.
 */
final class LlamaSplitter implements Splitter {

    static final LlamaSplitter LLAMA3 = new LlamaSplitter(3, false);
    static final LlamaSplitter QWEN2 = new LlamaSplitter(1, false);
    static final LlamaSplitter QWEN35 = new LlamaSplitter(1, true);

    private final int maxDigits;
    private final int letterFlags;
    private final int punctuationExcluded;

    private LlamaSplitter(int maxDigits, boolean marksAreLetters) {
        this.maxDigits = maxDigits;
        this.letterFlags = marksAreLetters ? LETTER | MARK : LETTER;
        this.punctuationExcluded = WHITESPACE | NUMBER | letterFlags;
    }

    private static int flagsAt(int[] cps, int start, int end, int pos) {
        return pos >= start && pos < end ? Unicode.flags(cps[pos]) : 0;
    }

    private static int cptAt(int[] cps, int start, int end, int pos) {
        return pos >= start && pos < end ? cps[pos] : -1;
    }

    @Override
    public void splitSegment(int[] cps, int start, int end, IntList out) {
        int pos = start;
        while (pos < end) {
            int cpt = cps[pos];
            int flags = Unicode.flags(cpt);

            if (cpt == '\'' && pos + 1 < end) {
                int n1 = Unicode.toLower(cps[pos + 1]);
                if (n1 == 's' || n1 == 't' || n1 == 'm' || n1 == 'd') {
                    out.add(2);
                    pos += 2;
                    continue;
                }
                if (pos + 2 < end) {
                    int n2 = Unicode.toLower(cps[pos + 2]);
                    if ((n1 == 'r' && n2 == 'e') || (n1 == 'v' && n2 == 'e') || (n1 == 'l' && n2 == 'l')) {
                        out.add(3);
                        pos += 3;
                        continue;
                    }
                }
            }

            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (!(cpt == '\r' || cpt == '\n' || (flags & NUMBER) != 0)
                    && ((flags & letterFlags) != 0 || (flagsAt(cps, start, end, pos + 1) & letterFlags) != 0)) {
                int p = pos + 1;
                while ((flagsAt(cps, start, end, p) & letterFlags) != 0) {
                    p++;
                }
                out.add(p - pos);
                pos = p;
                continue;
            }

            // \p{N}{1,k}
            if ((flags & NUMBER) != 0) {
                int p = pos;
                int groupStart = pos;
                while ((flagsAt(cps, start, end, p) & NUMBER) != 0) {
                    p++;
                    if (p - groupStart >= maxDigits) {
                        out.add(p - groupStart);
                        groupStart = p;
                    }
                }
                if (p > groupStart) {
                    out.add(p - groupStart);
                }
                pos = p;
                continue;
            }

            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'; llama.cpp tests the current code point's flags for "defined" here
            int from = cpt == ' ' ? pos + 1 : pos;
            int f2 = flagsAt(cps, start, end, from);
            if ((f2 & punctuationExcluded) == 0 && flags != 0) {
                int p = from;
                int f;
                while (((f = flagsAt(cps, start, end, p)) & punctuationExcluded) == 0 && f != 0) {
                    p++;
                }
                int c;
                while ((c = cptAt(cps, start, end, p)) == '\r' || c == '\n') {
                    p++;
                }
                out.add(p - pos);
                pos = p;
                continue;
            }

            int n = 0;
            int lastLineBreakEnd = 0;
            while ((flagsAt(cps, start, end, pos + n) & WHITESPACE) != 0) {
                int c = cps[pos + n];
                if (c == '\r' || c == '\n') {
                    lastLineBreakEnd = pos + n + 1;
                }
                n++;
            }
            int p;
            if (lastLineBreakEnd > 0) {
                p = lastLineBreakEnd; // \s*[\r\n]+
            } else if (n > 1 && pos + n < end) {
                p = pos + n - 1; // \s+(?!\S)
            } else if (n > 0) {
                p = pos + n; // \s+
            } else {
                p = pos + 1;
            }
            out.add(p - pos);
            pos = p;
        }
    }
}
