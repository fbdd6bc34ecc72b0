package io.github.ggml4j.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Byte-pair encoding as llama.cpp's {@code llm_tokenizer_bpe}: the pre-tokenizer cuts the text into words;
 * each word starts as one symbol per byte (GPT-2's byte alphabet) or per code point (Gemma 4), and the
 * adjacent pair with the lowest merge rank (leftmost on ties) is merged until no pair has a rank.
 *
 * <p>Every string a merge can produce is interned once at load, so the loop works on ids: a pair's rank is
 * one lookup of {@code (left id, right id)}.
 */
final class BpeTokenizer extends Tokenizer {

    private final PreTokenizerType pre;
    private final LongIntMap ranks;
    private final int[] mergeResult;
    /** Piece id of each byte's one-character string in the byte alphabet, or -1. */
    private final int[] bytePieces = new int[256];
    /** Fallback when a final symbol is not a token: the ASCII character's token, or {@code <0xXX>}. */
    private final int[] byteFallback = new int[256];

    BpeTokenizer(Vocabulary vocabulary, PreTokenizerType pre) {
        super(vocabulary, pre.cleanSpaces(),
                pre.escapesWhitespace() ? BpeTokenizer::unescape : BpeTokenizer::byteLevelPiece);
        this.pre = pre;
        List<String> merges = vocabulary.merges();
        this.ranks = new LongIntMap(merges.size());
        this.mergeResult = new int[merges.size()];
        // parts and results are nearly always tokens already: look them up in a char buffer, and build strings
        // only for the new ones (10^5 merges; this loop was most of a BPE tokenizer's construction)
        char[] buf = new char[64];
        for (int rank = 0; rank < merges.size(); rank++) {
            String m = merges.get(rank);
            int space = m.indexOf(' ', 1);
            if (space < 0) {
                mergeResult[rank] = -1; // llama.cpp records an empty pair, which never matches
                continue;
            }
            int len = m.length();
            if (buf.length < len) {
                buf = new char[len * 2];
            }
            m.getChars(0, len, buf, 0);
            int left = tokens.get(buf, 0, space);
            if (left < 0) {
                left = tokens.intern(m.substring(0, space));
            }
            int right = tokens.get(buf, space + 1, len - space - 1);
            if (right < 0) {
                right = tokens.intern(m.substring(space + 1));
            }
            System.arraycopy(buf, space + 1, buf, space, len - space - 1); // the pair joined: left + right
            int result = tokens.get(buf, 0, len - 1);
            if (result < 0) {
                result = tokens.intern(new String(buf, 0, len - 1));
            }
            mergeResult[rank] = result;
            ranks.putIfAbsent(pairKey(left, right), rank);
        }
        for (int b = 0; b < 256; b++) {
            bytePieces[b] = tokens.get(String.valueOf(ByteLevel.encode(b)));
            if (pre.rawUtf8()) {
                byteFallback[b] = tokenId(Vocabulary.byteText(b));
            } else {
                // llama.cpp looks up each byte of the unmergeable word's UTF-8 as a one-byte string:
                // only ASCII can be a token that way
                byteFallback[b] = b < 0x80 ? tokenId(String.valueOf((char) b)) : -1;
            }
        }
    }

    private static long pairKey(int left, int right) {
        return ((long) left << 32) | right;
    }

    @Override
    void encodeText(String text, int from, int to, boolean afterSpecial, IntList out) {
        String fragment = text.substring(from, to);
        if (pre.escapesWhitespace()) {
            fragment = fragment.replace(' ', '\u2581');
        }
        int[] cps = fragment.codePoints().toArray();
        IntList segments = new IntList();
        segments.add(cps.length);
        for (Splitter stage : pre.stages()) {
            IntList next = new IntList(Math.max(16, segments.size() * 2));
            stage.split(cps, segments, next);
            segments = next;
        }
        Word word = new Word();
        int start = 0;
        for (int i = 0; i < segments.size(); i++) {
            int end = start + segments.get(i);
            if (end > start) {
                word.encode(cps, start, end, out);
            }
            start = end;
        }
    }

    /** An ordinary token's bytes when spaces are U+2581 (Gemma 4). */
    static byte[] unescape(String text) {
        return text.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
    }

    /**
     * An ordinary token's bytes in GPT-2's byte alphabet; a character outside the alphabet becomes llama.cpp's
     * marker {@code [UNK_BYTE_0x<hex of its UTF-8><token text>]}.
     */
    static byte[] byteLevelPiece(String text) {
        // one byte per character for ordinary tokens: a plain loop (this runs once per token at load)
        byte[] bytes = new byte[text.length()];
        int n = 0;
        for (int i = 0; i < text.length(); i++) {
            int b = ByteLevel.decode(text.charAt(i));
            if (b < 0) {
                return unknownBytePiece(text);
            }
            bytes[n++] = (byte) b;
        }
        return bytes;
    }

    /** {@link #byteLevelPiece} of a text with a character outside the byte alphabet. */
    private static byte[] unknownBytePiece(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        text.codePoints().forEach(cp -> {
            int b = ByteLevel.decode(cp);
            if (b >= 0) {
                out.write(b);
            } else {
                StringBuilder sb = new StringBuilder("[UNK_BYTE_0x");
                for (byte x : Character.toString(cp).getBytes(StandardCharsets.UTF_8)) {
                    sb.append(java.util.HexFormat.of().toHexDigits(x));
                }
                sb.append(text).append(']');
                out.writeBytes(sb.toString().getBytes(StandardCharsets.UTF_8));
            }
        });
        return out.toByteArray();
    }

    /** Buffers reused across the words of one fragment. */
    private final class Word {
        private char[] chars = new char[64];   // the word in the merge alphabet
        private int[] piece = new int[64];     // symbol -> piece id, -1 if none
        private int[] charStart = new int[64]; // symbol -> offset in chars
        private int[] charLen = new int[64];   // symbol -> length in chars; 0 once merged away
        private int[] prev = new int[64];
        private int[] next = new int[64];
        private final LongHeap heap = new LongHeap();
        private final byte[] utf8 = new byte[4];

        void encode(int[] cps, int from, int to, IntList out) {
            int n = prepare(cps, from, to);
            int whole = -1;
            if (pre.ignoreMerges() || (pre == PreTokenizerType.GEMMA4 && allNewlines(cps, from, to))) {
                whole = tokens.get(chars, 0, charCount);
                whole = whole < vocabSize ? whole : -1;
            }
            if (whole >= 0) {
                out.add(whole);
                return;
            }
            heap.clear();
            for (int i = 0; i + 1 < n; i++) {
                tryAdd(i, i + 1);
            }
            while (!heap.isEmpty()) {
                long key = heap.pop();
                int left = (int) key;
                int rank = (int) (key >>> 32);
                int right = next[left];
                if (charLen[left] == 0 || right < 0 || rankOf(left, right) != rank) {
                    continue; // outdated: the pair at `left` is no longer this one
                }
                piece[left] = mergeResult[rank];
                charLen[left] += charLen[right];
                charLen[right] = 0;
                next[left] = next[right];
                if (next[right] >= 0) {
                    prev[next[right]] = left;
                }
                tryAdd(prev[left], left);
                tryAdd(left, next[left]);
            }
            for (int i = 0; i >= 0; i = next[i]) {
                int id = piece[i];
                if (id >= 0 && id < vocabSize) {
                    out.add(id);
                } else {
                    fallback(i, out);
                }
            }
        }

        private int charCount;

        /** Fills the symbol arrays; returns the number of symbols. */
        private int prepare(int[] cps, int from, int to) {
            int symbols = 0;
            int charsNeeded = 0;
            for (int k = from; k < to; k++) {
                int cp = cps[k];
                int units = cp > 0xFFFF ? 2 : 1;
                int bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
                symbols += pre.rawUtf8() ? 1 : bytes;
                charsNeeded += pre.rawUtf8() ? units : bytes;
            }
            if (piece.length < symbols) {
                int cap = Math.max(symbols, piece.length * 2);
                piece = new int[cap];
                charStart = new int[cap];
                charLen = new int[cap];
                prev = new int[cap];
                next = new int[cap];
            }
            if (chars.length < charsNeeded) {
                chars = new char[Math.max(charsNeeded, chars.length * 2)];
            }
            int n = 0;
            charCount = 0;
            for (int k = from; k < to; k++) {
                int cp = cps[k];
                if (pre.rawUtf8()) {
                    int len = Character.toChars(cp, chars, charCount);
                    piece[n] = tokens.get(chars, charCount, len);
                    charStart[n] = charCount;
                    charLen[n] = len;
                    charCount += len;
                    n++;
                } else {
                    int len = Utf8.encode(cp, utf8, 0);
                    for (int j = 0; j < len; j++) {
                        int b = utf8[j] & 0xFF;
                        chars[charCount] = ByteLevel.encode(b);
                        piece[n] = bytePieces[b];
                        charStart[n] = charCount;
                        charLen[n] = 1;
                        charCount++;
                        n++;
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                prev[i] = i - 1;
                next[i] = i + 1 < n ? i + 1 : -1;
            }
            return n;
        }

        private int rankOf(int left, int right) {
            int l = piece[left];
            int r = piece[right];
            return l < 0 || r < 0 ? -1 : ranks.get(pairKey(l, r));
        }

        private void tryAdd(int left, int right) {
            if (left < 0 || right < 0) {
                return;
            }
            int rank = rankOf(left, right);
            if (rank >= 0) {
                heap.push(((long) rank << 32) | left);
            }
        }

        private void fallback(int i, IntList out) {
            if (pre.rawUtf8()) {
                byte[] bytes = new String(chars, charStart[i], charLen[i]).getBytes(StandardCharsets.UTF_8);
                for (byte b : bytes) {
                    int t = byteFallback[b & 0xFF];
                    if (t >= 0) {
                        out.add(t);
                    }
                }
                return;
            }
            for (int k = charStart[i], e = k + charLen[i]; k < e; k++) {
                char c = chars[k];
                if (c < 0x80) {
                    int t = byteFallback[c];
                    if (t >= 0) {
                        out.add(t);
                    }
                }
            }
        }
    }

    private static boolean allNewlines(int[] cps, int from, int to) {
        for (int i = from; i < to; i++) {
            if (cps[i] != '\n') {
                return false;
            }
        }
        return true;
    }
}
