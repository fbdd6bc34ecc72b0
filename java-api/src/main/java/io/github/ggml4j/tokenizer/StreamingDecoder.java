package io.github.ggml4j.tokenizer;

import java.util.Arrays;

/**
 * Turns generated tokens into text as they arrive. A token's bytes may end inside a multi-byte UTF-8
 * character (byte tokens, byte-level BPE); those bytes are held back until the character is complete, so
 * every string returned is whole characters. Bytes that can no longer become a character are emitted as
 * U+FFFD, one per byte.
 *
 * <p>Each token contributes {@link Tokenizer#tokenBytes(int, boolean)}, as llama.cpp's generation loops
 * print pieces; the whole-text clean-ups of {@link Tokenizer#decode(int[], boolean, boolean)} are not
 * applied. Not thread-safe: one per stream.
 *
 * {@snippet :
 * StreamingDecoder d = tokenizer.streamingDecoder(false);
 * for (int id : generatedIds) {
 *     System.out.print(d.next(id));
 * }
 * System.out.print(d.finish());
 * }
 */
public final class StreamingDecoder {

    private final Tokenizer tokenizer;
    private final boolean renderSpecial;
    private byte[] pending = new byte[8];
    private int pendingLength;

    StreamingDecoder(Tokenizer tokenizer, boolean renderSpecial) {
        this.tokenizer = tokenizer;
        this.renderSpecial = renderSpecial;
    }

    /**
     * Adds a token; returns the text completed by it (possibly empty).
     *
     * @throws IllegalArgumentException if {@code id} is outside the vocabulary
     */
    public String next(int id) {
        return nextBytes(tokenizer.tokenBytes(id, renderSpecial));
    }

    /** Adds raw bytes; returns the text completed by them (possibly empty). */
    public String nextBytes(byte[] bytes) {
        if (pendingLength + bytes.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + bytes.length));
        }
        System.arraycopy(bytes, 0, pending, pendingLength, bytes.length);
        pendingLength += bytes.length;
        int complete = completePrefix(pending, pendingLength);
        String text = Utf8.decode(pending, 0, complete);
        System.arraycopy(pending, complete, pending, 0, pendingLength - complete);
        pendingLength -= complete;
        return text;
    }

    /** Ends the stream: returns what is held back, incomplete characters as U+FFFD; then starts afresh. */
    public String finish() {
        String text = Utf8.decode(pending, 0, pendingLength);
        pendingLength = 0;
        return text;
    }

    /** Number of bytes held back for an incomplete character. */
    public int pendingBytes() {
        return pendingLength;
    }

    /** Length of the longest prefix that does not end inside a character that may still complete. */
    private static int completePrefix(byte[] b, int n) {
        int i = 0;
        while (i < n) {
            int len = Utf8.sequenceLength(b, i, n);
            if (len > 0) {
                i += len;
            } else if (Utf8.couldComplete(b, i, n)) {
                return i;
            } else {
                i++; // a bad byte: decoded as U+FFFD
            }
        }
        return n;
    }
}
