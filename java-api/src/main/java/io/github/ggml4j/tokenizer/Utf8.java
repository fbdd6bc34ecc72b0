package io.github.ggml4j.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * UTF-8 with ggml4j's rule for bad input: every byte that does not begin a well-formed sequence (truncated,
 * overlong, surrogate, above U+10FFFF, stray continuation byte) becomes one U+FFFD, and decoding resumes at
 * the next byte. This is llama.cpp's rule for byte-level BPE input, made strict; a {@code String}'s unpaired
 * surrogates become U+FFFD likewise.
 */
final class Utf8 {

    private Utf8() {
    }

    /** Length of the well-formed sequence starting at {@code i}, or 0 if there is none. */
    static int sequenceLength(byte[] b, int i, int end) {
        return Math.max(0, scan(b, i, end));
    }

    /** Whether {@code b[i, end)} is a proper prefix of some well-formed sequence (cut short by {@code end}). */
    static boolean couldComplete(byte[] b, int i, int end) {
        return scan(b, i, end) < 0;
    }

    /**
     * The sequence starting at {@code i}: its length when well-formed; minus the number of bytes present when
     * they are a proper prefix of a well-formed sequence cut short by {@code end}; 0 when malformed.
     */
    private static int scan(byte[] b, int i, int end) {
        int b0 = b[i] & 0xFF;
        if (b0 < 0x80) {
            return 1;
        }
        int need;
        int lo = 0x80;
        int hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            need = 1;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            need = 2;
            if (b0 == 0xE0) {
                lo = 0xA0;
            } else if (b0 == 0xED) {
                hi = 0x9F;
            }
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            need = 3;
            if (b0 == 0xF0) {
                lo = 0x90;
            } else if (b0 == 0xF4) {
                hi = 0x8F;
            }
        } else {
            return 0;
        }
        for (int k = 1; k <= need; k++) {
            if (i + k >= end) {
                return -k; // the lead byte and k - 1 valid continuation bytes, then the input ends
            }
            int bk = b[i + k] & 0xFF;
            boolean ok = k == 1 ? bk >= lo && bk <= hi : (bk & 0xC0) == 0x80;
            if (!ok) {
                return 0;
            }
        }
        return need + 1;
    }

    /** Decodes with one U+FFFD per bad byte. */
    static String decode(byte[] b) {
        return decode(b, 0, b.length);
    }

    static String decode(byte[] b, int from, int to) {
        StringBuilder sb = null;
        int clean = from;
        int i = from;
        while (i < to) {
            if (b[i] >= 0) {
                i++;
                continue;
            }
            int len = sequenceLength(b, i, to);
            if (len > 0) {
                i += len;
                continue;
            }
            if (sb == null) {
                sb = new StringBuilder(to - from);
            }
            sb.append(new String(b, clean, i - clean, StandardCharsets.UTF_8)).append('\uFFFD');
            i++;
            clean = i;
        }
        if (sb == null) {
            return new String(b, from, to - from, StandardCharsets.UTF_8);
        }
        return sb.append(new String(b, clean, to - clean, StandardCharsets.UTF_8)).toString();
    }

    /** Replaces unpaired surrogates by U+FFFD; returns {@code s} itself when it has none. */
    static String sanitize(String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return replaceSurrogates(s);
            }
        }
        return s;
    }

    private static String replaceSurrogates(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                sb.append('\uFFFD');
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Writes the UTF-8 form of {@code cp} at {@code off}; returns the number of bytes. */
    static int encode(int cp, byte[] out, int off) {
        if (cp < 0x80) {
            out[off] = (byte) cp;
            return 1;
        }
        if (cp < 0x800) {
            out[off] = (byte) (0xC0 | (cp >> 6));
            out[off + 1] = (byte) (0x80 | (cp & 0x3F));
            return 2;
        }
        if (cp < 0x10000) {
            out[off] = (byte) (0xE0 | (cp >> 12));
            out[off + 1] = (byte) (0x80 | ((cp >> 6) & 0x3F));
            out[off + 2] = (byte) (0x80 | (cp & 0x3F));
            return 3;
        }
        out[off] = (byte) (0xF0 | (cp >> 18));
        out[off + 1] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        out[off + 2] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        out[off + 3] = (byte) (0x80 | (cp & 0x3F));
        return 4;
    }

    /** UTF-8 length of {@code s}, which must be free of unpaired surrogates. */
    static int encodedLength(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
