package io.github.ggml4j.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * SentencePiece-style tokenization as llama.cpp's {@code llm_tokenizer_spm}: spaces become U+2581, the text
 * starts as one symbol per code point, and the adjacent pair whose concatenation is the highest-scoring
 * token (leftmost on ties) is merged until no pair is a token. Symbols that are not tokens fall back to
 * their UTF-8 bytes as {@code <0xXX>} tokens.
 *
 * <p>A priority queue orders the pairs; entries are not removed when a merge outdates them but re-checked
 * when popped, so the work is O(n log n). Characters that occur in no multi-character token can never be
 * merged, which cuts long inputs into independent chunks at no cost to exactness.
 */
final class SpmTokenizer extends Tokenizer {

    private static final char ESCAPED_SPACE = '\u2581';

    private final float[] scores;
    /** Token for each byte's fallback: {@code <0xXX>}, else the one-byte text, else -1. */
    private final int[] byteTokens = new int[256];
    /** BMP characters that occur inside some multi-character token. */
    private final boolean[] joinable = new boolean[0x10000];

    SpmTokenizer(Vocabulary vocabulary) {
        super(vocabulary, false, SpmTokenizer::unescape);
        this.scores = vocabulary.scores();
        for (int b = 0; b < 256; b++) {
            int id = tokenId(Vocabulary.byteText(b));
            if (id < 0 && b < 0x80) {
                id = tokenId(String.valueOf((char) b));
            }
            byteTokens[b] = id;
        }
        for (String t : vocabulary.tokens()) {
            if (t.codePointCount(0, t.length()) > 1) {
                for (int i = 0; i < t.length(); i++) {
                    joinable[t.charAt(i)] = true;
                }
            }
        }
    }

    @Override
    void encodeText(String text, int from, int to, boolean afterSpecial, IntList out) {
        boolean prefix = vocabulary.addSpacePrefix() && afterSpecial;
        int n = to - from + (prefix ? 1 : 0);
        char[] buf = new char[n];
        int k = 0;
        if (prefix) {
            buf[k++] = ESCAPED_SPACE;
        }
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            buf[k++] = c == ' ' ? ESCAPED_SPACE : c;
        }
        Session s = new Session(buf);
        int chunk = 0;
        for (int i = 0; i < n; i++) {
            char c = buf[i];
            if (!joinable[c] && !Character.isSurrogate(c)) {
                s.run(chunk, i, out);
                s.run(i, i + 1, out);
                chunk = i + 1;
            }
        }
        s.run(chunk, n, out);
    }

    /** An ordinary token's bytes: U+2581 stands for a space. */
    static byte[] unescape(String text) {
        return text.replace(ESCAPED_SPACE, ' ').getBytes(StandardCharsets.UTF_8);
    }

    private static long scoreKey(float score, int left) {
        int bits = Float.floatToIntBits(score == 0f ? 0f : score);
        int ordered = bits ^ ((bits >> 31) & 0x7FFFFFFF); // float order as signed int order
        return ((long) ~ordered << 32) | left;            // highest score first, then leftmost
    }

    /**
     * Merge state over one text. A symbol is identified by the index of its first char: {@code len[i] > 0}
     * for live symbols, which tile the text, so the next symbol of {@code i} is {@code i + len[i]}.
     */
    private final class Session {
        private final char[] buf;
        private final int[] len;
        private final int[] prev;
        private final LongHeap heap = new LongHeap();
        private int end;

        Session(char[] buf) {
            this.buf = buf;
            this.len = new int[buf.length];
            this.prev = new int[buf.length];
        }

        void run(int from, int to, IntList out) {
            if (from >= to) {
                return;
            }
            end = to;
            heap.clear();
            int last = -1;
            for (int i = from; i < to; ) {
                int l = Character.isHighSurrogate(buf[i]) && i + 1 < to && Character.isLowSurrogate(buf[i + 1]) ? 2 : 1;
                len[i] = l;
                prev[i] = last;
                last = i;
                i += l;
            }
            for (int i = from; i + len[i] < to; i += len[i]) {
                tryAdd(i);
            }
            while (!heap.isEmpty()) {
                long key = heap.pop();
                int left = (int) key;
                int right = left + len[left];
                if (len[left] == 0 || right >= end) {
                    continue;
                }
                int id = pairToken(left);
                if (id < 0 || scoreKey(scores[id], left) != key) {
                    continue; // outdated: the pair at `left` is no longer this one
                }
                len[left] += len[right];
                len[right] = 0;
                int next = left + len[left];
                if (next < end) {
                    prev[next] = left;
                }
                if (prev[left] >= 0) {
                    tryAdd(prev[left]);
                }
                tryAdd(left);
            }
            for (int i = from; i < to; i += len[i]) {
                emit(i, out);
            }
        }

        private int pairToken(int left) {
            int right = left + len[left];
            int id = tokens.get(buf, left, len[left] + len[right]);
            return id < vocabSize ? id : -1;
        }

        private void tryAdd(int left) {
            int right = left + len[left];
            if (right >= end) {
                return;
            }
            int id = pairToken(left);
            if (id >= 0) {
                heap.push(scoreKey(scores[id], left));
            }
        }

        private void emit(int i, IntList out) {
            int id = tokens.get(buf, i, len[i]);
            if (id >= 0 && id < vocabSize) {
                out.add(id);
                return;
            }
            byte[] bytes = new String(buf, i, len[i]).getBytes(StandardCharsets.UTF_8);
            for (byte b : bytes) {
                int t = byteTokens[b & 0xFF];
                if (t < 0) {
                    t = specialTokens().unk(); // llama.cpp would fail here; a vocabulary without byte tokens
                }
                if (t >= 0) {
                    out.add(t);
                }
            }
        }
    }
}
