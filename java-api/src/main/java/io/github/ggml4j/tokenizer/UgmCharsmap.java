package io.github.ggml4j.tokenizer;

import io.github.ggml4j.TokenizerException;

import java.util.Arrays;

/**
 * SentencePiece's precompiled normalization rules as llama.cpp's UGM tokenizer reads them: a little-endian u32
 * byte count, that many bytes of a XOR-compressed compact double array (32-bit entries: BASE in bits 10-30,
 * shifted left by 8 when bit 9 is set, LEAF in bit 8, the label in bits 0-7; entries with bit 31 set hold
 * the offset of a replacement), then NUL-terminated replacement strings. The longest input prefix that is
 * a key is replaced.
 */
final class UgmCharsmap {

    private final int[] nodes;
    private final byte[] replacements;

    UgmCharsmap(byte[] blob) {
        check(blob);
        int size = littleEndian(blob, 0);
        nodes = new int[size / 4];
        for (int i = 0; i < nodes.length; i++) {
            nodes[i] = littleEndian(blob, 4 + 4 * i);
        }
        replacements = Arrays.copyOfRange(blob, 4 + size, blob.length);
    }

    /** The load-time checks of llama.cpp: a size header, and room for at least one replacement byte after the array. */
    static void check(byte[] blob) {
        if (blob.length < 4) {
            throw new TokenizerException("precompiled_charsmap too small for xcda_blob_size header!");
        }
        long size = littleEndian(blob, 0) & 0xFFFFFFFFL;
        if (size + 4 >= blob.length) {
            throw new TokenizerException("Index out of array bounds in precompiled charsmap!");
        }
    }

    private static int littleEndian(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }

    private int node(int index) {
        if (Integer.compareUnsigned(index, nodes.length) >= 0) {
            throw new TokenizerException("Index out of array bounds in XCDA array!");
        }
        return nodes[index];
    }

    private int base(int index) {
        int packed = node(index);
        return (packed >>> 10) << ((packed & (1 << 9)) >>> 6);
    }

    /**
     * The longest rule matching {@code in[from, to)} at its start: {@code (length << 32) | replacementOffset},
     * or 0 if none matches. A NUL byte ends the match.
     */
    long longestMatch(byte[] in, int from, int to) {
        int length = 0;
        int value = 0;
        int index = base(0);
        for (int i = from; i < to; i++) {
            int c = in[i] & 0xFF;
            if (c == 0) {
                break;
            }
            index ^= c;
            int packed = node(index);
            if ((packed & (0x80000000 | 0xFF)) != c) {
                break;
            }
            boolean leaf = ((packed >>> 8) & 1) != 0;
            index ^= base(index);
            if (leaf) {
                length = i - from + 1;
                value = node(index) & 0x7FFFFFFF;
            }
        }
        return length == 0 ? 0 : (long) length << 32 | value;
    }

    /** Appends the replacement at {@code offset} (up to its NUL) to {@code out}. */
    void appendReplacement(int offset, ByteBuf out) {
        if (offset >= replacements.length) {
            throw new TokenizerException("Index out of array bounds in precompiled charsmap!");
        }
        int end = offset;
        while (end < replacements.length && replacements[end] != 0) {
            end++;
        }
        if (end == replacements.length) {
            throw new TokenizerException("Unterminated string in precompiled charsmap!");
        }
        out.add(replacements, offset, end - offset);
    }

    /** A growable byte array. */
    static final class ByteBuf {
        byte[] bytes = new byte[64];
        int size;

        void add(byte b) {
            if (size == bytes.length) {
                bytes = Arrays.copyOf(bytes, size * 2);
            }
            bytes[size++] = b;
        }

        void add(byte[] b, int from, int n) {
            if (size + n > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(size * 2, size + n));
            }
            System.arraycopy(b, from, bytes, size, n);
            size += n;
        }
    }
}
