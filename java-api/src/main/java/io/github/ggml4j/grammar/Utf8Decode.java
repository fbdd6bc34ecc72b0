package io.github.ggml4j.grammar;

import java.util.Arrays;

/**
 * llama.cpp's grammar-side UTF-8 decoding: a token's bytes to code points, continuing a sequence the previous
 * token left incomplete and possibly ending in one ({@link #partialValue}, {@link #remain} bytes still to come;
 * -1: invalid). Decoding stops at a NUL byte, as the C strings it mirrors do.
 *
 * @param codePoints   the complete code points
 * @param partialValue the bits of the trailing incomplete sequence so far
 * @param remain       continuation bytes the trailing sequence still needs; 0 none; -1 the bytes are invalid
 */
record Utf8Decode(int[] codePoints, int partialValue, int remain) {

    private static final int[] LOOKUP = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 3, 4};
    private static final int[] NONE = new int[0];

    static Utf8Decode of(byte[] src, int startValue, int startRemain) {
        int[] cps = new int[src.length];
        int n = 0;
        int pos = 0;
        int value = startValue;
        int remain = startRemain;
        while (pos < src.length && src[pos] != 0 && remain > 0) {
            int b = src[pos] & 0xff;
            if ((b >> 6) != 2) {
                return new Utf8Decode(NONE, 0, -1);
            }
            value = (value << 6) + (b & 0x3f);
            pos++;
            remain--;
        }
        if (startRemain > 0 && remain == 0) {
            cps[n++] = value;
        }
        while (pos < src.length && src[pos] != 0) {
            int first = src[pos] & 0xff;
            remain = LOOKUP[first >> 4] - 1;
            if (remain < 0) {
                return new Utf8Decode(NONE, 0, -1);
            }
            int mask = (1 << (7 - remain)) - 1;
            value = first & mask;
            pos++;
            while (pos < src.length && src[pos] != 0 && remain > 0) {
                value = (value << 6) + (src[pos] & 0x3f);
                pos++;
                remain--;
            }
            if (remain == 0) {
                cps[n++] = value;
            }
        }
        // a complete final sequence leaves value as its code point and remain 0, as llama.cpp's does
        return new Utf8Decode(n == cps.length ? cps : Arrays.copyOf(cps, n), value, remain);
    }

    /** A token that can never match: its bytes are not UTF-8 llama.cpp's decoder accepts. */
    boolean invalid() {
        return remain < 0;
    }
}
