package io.github.ggml4j.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * A regex character class ({@code [...]}) as a lookup table, for the pre-tokenizer patterns that are one
 * class: {@link java.util.regex.Pattern} tests a class with many ranges range by range, which made
 * DeepSeek's letter class the slowest step of its pre-tokenizer. Supports what those patterns use:
 * negation, literal characters (supplementary ones included), ranges, {@code \s}, {@code \d}, the control
 * escapes {@code \t \n \r \f}, and backslash before punctuation.
 */
final class CharClass {

    private final boolean[] bmp = new boolean[0x10000];
    private final List<int[]> supplementary = new ArrayList<>();
    private final boolean negated;

    private CharClass(boolean negated) {
        this.negated = negated;
    }

    boolean contains(int cp) {
        boolean in;
        if (cp < 0x10000) {
            in = bmp[cp];
        } else {
            in = false;
            for (int[] r : supplementary) {
                if (cp >= r[0] && cp <= r[1]) {
                    in = true;
                    break;
                }
            }
        }
        return in != negated;
    }

    /** Java's {@code \s}: space, tab, line feed, vertical tab, form feed, carriage return. */
    static boolean isSpace(int cp) {
        return cp == ' ' || (cp >= '\t' && cp <= '\r');
    }

    /**
     * Parses the body of a class (between the brackets).
     *
     * @throws IllegalArgumentException for anything outside the supported subset
     */
    static CharClass parse(String body) {
        int[] cps = body.codePoints().toArray();
        int i = 0;
        boolean negated = cps.length > 0 && cps[0] == '^';
        if (negated) {
            i++;
        }
        CharClass c = new CharClass(negated);
        while (i < cps.length) {
            int from;
            if (cps[i] == '\\') {
                if (i + 1 >= cps.length) {
                    throw new IllegalArgumentException("dangling backslash");
                }
                int e = cps[i + 1];
                i += 2;
                if (e == 's') {
                    c.add(' ', ' ');
                    c.add('\t', '\r');
                    continue;
                }
                if (e == 'd') {
                    c.add('0', '9');
                    continue;
                }
                from = escaped(e);
            } else if (cps[i] == '[' || (cps[i] == '&' && i + 1 < cps.length && cps[i + 1] == '&')) {
                throw new IllegalArgumentException("nested class or intersection");
            } else {
                from = cps[i++];
            }
            if (i + 1 < cps.length && cps[i] == '-') {
                int to;
                if (cps[i + 1] == '\\') {
                    if (i + 2 >= cps.length) {
                        throw new IllegalArgumentException("dangling backslash");
                    }
                    to = escaped(cps[i + 2]);
                    i += 3;
                } else {
                    to = cps[i + 1];
                    i += 2;
                }
                if (to < from) {
                    throw new IllegalArgumentException("bad range");
                }
                c.add(from, to);
            } else {
                c.add(from, from);
            }
        }
        return c;
    }

    private static int escaped(int e) {
        return switch (e) {
            case 't' -> '\t';
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 'f' -> '\f';
            default -> {
                if (Character.isLetterOrDigit(e)) {
                    throw new IllegalArgumentException("unsupported escape \\" + Character.toString(e));
                }
                yield e;
            }
        };
    }

    private void add(int from, int to) {
        for (int cp = from; cp <= Math.min(to, 0xFFFF); cp++) {
            bmp[cp] = true;
        }
        if (to > 0xFFFF) {
            supplementary.add(new int[] {Math.max(from, 0x10000), to});
        }
    }
}
