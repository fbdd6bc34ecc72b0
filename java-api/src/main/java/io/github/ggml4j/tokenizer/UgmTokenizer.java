package io.github.ggml4j.tokenizer;

import io.github.ggml4j.TokenizerException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Unigram tokenization as llama.cpp's {@code llm_tokenizer_ugm} (T5's SentencePiece model): the text is
 * normalized (the precompiled charsmap's rules, spaces escaped to U+2581, a space before the text when
 * {@code add_space_prefix} is set, runs of spaces collapsed when {@code remove_extra_whitespaces} is), then
 * the segmentation with the highest sum of token scores is found by Viterbi over a byte trie of the normal,
 * user-defined and unused tokens (user-defined tokens score 0). A code point that no token covers by itself
 * may become the unknown token at the lowest normal score minus 10; adjacent unknowns merge into one.
 *
 * <p>Everything works on UTF-8 bytes, as llama.cpp does, so the results match byte for byte.
 */
final class UgmTokenizer extends Tokenizer {

    private static final byte[] ESCAPED_SPACE = "\u2581".getBytes(StandardCharsets.UTF_8);
    private static final byte[] REPLACEMENT = "\uFFFD".getBytes(StandardCharsets.UTF_8);
    private static final float UNKNOWN_PENALTY = 10f;

    private final ByteTrie tokenTrie = new ByteTrie();
    private final ByteTrie userDefinedTrie = new ByteTrie();
    private final UgmCharsmap charsmap;
    private final float[] scores;
    private final boolean[] userDefined;
    private final float unknownScore;
    private final int unk;

    UgmTokenizer(Vocabulary vocabulary) {
        super(vocabulary, false, SpmTokenizer::unescape);
        byte[] cm = vocabulary.precompiledCharsmap();
        this.charsmap = cm.length > 0 ? new UgmCharsmap(cm) : null;
        this.scores = vocabulary.scores();
        this.userDefined = new boolean[vocabSize];
        float min = Float.MAX_VALUE;
        for (int id = 0; id < vocabSize; id++) {
            int a = attr(id);
            byte[] text = tokens.string(id).getBytes(StandardCharsets.UTF_8);
            if ((a & VocabularyAnalysis.ATTR_NORMAL) != 0) {
                min = Math.min(min, scores[id]);
            }
            if ((a & (VocabularyAnalysis.ATTR_NORMAL | VocabularyAnalysis.ATTR_USER_DEFINED
                    | VocabularyAnalysis.ATTR_UNUSED)) != 0) {
                tokenTrie.insert(text, id);
            }
            if ((a & VocabularyAnalysis.ATTR_USER_DEFINED) != 0) {
                userDefinedTrie.insert(text, id);
                userDefined[id] = true;
            }
        }
        this.unknownScore = min - UNKNOWN_PENALTY;
        this.unk = specialTokens().unk();
    }

    @Override
    void encodeText(String text, int from, int to, boolean afterSpecial, IntList out) {
        byte[] input = text.substring(from, to).getBytes(StandardCharsets.UTF_8);
        UgmCharsmap.ByteBuf norm = normalize(input);
        int n = norm.size;
        if (n == 0) {
            return;
        }
        byte[] s = norm.bytes;
        int[] bestToken = new int[n + 1];
        int[] bestFrom = new int[n + 1];
        double[] bestScore = new double[n + 1];
        Arrays.fill(bestToken, unk);
        Arrays.fill(bestScore, -Double.MAX_VALUE);
        bestScore[0] = 0;
        for (int at = 0; at < n; ) {
            int cpLen = Math.min(utf8Length(s[at]), n - at);
            boolean wholeCodePoint = false;
            double base = bestScore[at];
            int node = tokenTrie.child(ByteTrie.ROOT, s[at]);
            int end = at + 1;
            while (node >= 0) {
                int id = tokenTrie.value(node);
                if (id >= 0) {
                    if (end - at == cpLen) {
                        wholeCodePoint = true;
                    }
                    double score = base + (userDefined[id] ? 0.0 : scores[id]);
                    if (score > bestScore[end]) {
                        bestToken[end] = id;
                        bestFrom[end] = at;
                        bestScore[end] = score;
                    }
                }
                if (end >= n) {
                    break;
                }
                node = tokenTrie.child(node, s[end++]);
            }
            if (!wholeCodePoint) {
                double score = base + unknownScore;
                int e = at + cpLen;
                if (score > bestScore[e]) {
                    bestToken[e] = unk;
                    bestFrom[e] = at;
                    bestScore[e] = score;
                }
            }
            at += cpLen;
        }
        IntList reversed = new IntList(16);
        boolean prevUnknown = false;
        for (int at = n; ; at = bestFrom[at]) {
            boolean unknown = bestToken[at] == unk;
            if (!(prevUnknown && unknown)) {
                if (bestToken[at] < 0) {
                    throw new TokenizerException("text needs the unknown token, but the vocabulary has none");
                }
                reversed.add(bestToken[at]);
            }
            if (bestFrom[at] == 0) {
                break;
            }
            prevUnknown = unknown;
        }
        for (int i = reversed.size() - 1; i >= 0; i--) {
            out.add(reversed.get(i));
        }
    }

    /** llama.cpp's {@code unicode_len_utf8}: the length a lead byte announces (1 for a stray continuation byte). */
    private static int utf8Length(byte lead) {
        int hi = (lead & 0xFF) >>> 4;
        return hi < 12 ? 1 : hi < 14 ? 2 : hi == 14 ? 3 : 4;
    }

    private UgmCharsmap.ByteBuf normalize(byte[] in) {
        UgmCharsmap.ByteBuf out = new UgmCharsmap.ByteBuf();
        boolean prepend = vocabulary.addSpacePrefix();
        boolean merge = vocabulary.removeExtraWhitespaces();
        boolean prepended = false;
        boolean inWord = false;
        UgmCharsmap.ByteBuf piece = new UgmCharsmap.ByteBuf();
        for (int at = 0; at < in.length; ) {
            piece.size = 0;
            at += normalizePrefix(in, at, piece);
            for (int i = 0; i < piece.size; i++) {
                byte c = piece.bytes[i];
                if (c != ' ') {
                    if (!inWord) {
                        inWord = true;
                        if ((prepend && !prepended) || merge) {
                            out.add(ESCAPED_SPACE, 0, ESCAPED_SPACE.length);
                            prepended = true;
                        }
                    }
                    out.add(c);
                } else {
                    inWord = false;
                    if (!merge) {
                        out.add(ESCAPED_SPACE, 0, ESCAPED_SPACE.length);
                    }
                }
            }
        }
        return out;
    }

    /** Normalizes the start of {@code in[at..]} into {@code out}; returns the number of input bytes consumed. */
    private int normalizePrefix(byte[] in, int at, UgmCharsmap.ByteBuf out) {
        int user = userDefinedTrie.longestPath(in, at);
        if (user > 0) {
            out.add(in, at, user);
            return user;
        }
        if (charsmap != null) {
            long m = charsmap.longestMatch(in, at, in.length);
            if (m != 0) {
                charsmap.appendReplacement((int) m, out);
                return (int) (m >>> 32);
            }
        }
        int len = validSequence(in, at);
        if (len > 0) {
            out.add(in, at, len);
            return len;
        }
        out.add(REPLACEMENT, 0, REPLACEMENT.length);
        return 1;
    }

    /** The length of the code point at {@code at} as llama.cpp's {@code unicode_cpt_from_utf8} accepts it, or 0. */
    private static int validSequence(byte[] b, int at) {
        int lead = b[at] & 0xFF;
        int n = lead < 0x80 ? 1 : lead < 0xC0 ? 0 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : lead < 0xF8 ? 4 : 0;
        if (n == 0 || at + n > b.length) {
            return 0;
        }
        for (int i = 1; i < n; i++) {
            if ((b[at + i] & 0xC0) != 0x80) {
                return 0;
            }
        }
        return n;
    }

    /** A trie over bytes: node ids from 0 (the root), children in one hash map keyed by (node, byte). */
    private static final class ByteTrie {
        static final int ROOT = 0;
        private final LongIntMap children = new LongIntMap(1024);
        private int[] values = {-1};
        private int count = 1;

        void insert(byte[] key, int value) {
            int node = ROOT;
            for (byte b : key) {
                int next = child(node, b);
                if (next < 0) {
                    next = count++;
                    if (next == values.length) {
                        values = Arrays.copyOf(values, next * 2);
                        Arrays.fill(values, next, values.length, -1);
                    }
                    children.putIfAbsent(key(node, b), next);
                }
                node = next;
            }
            values[node] = value;
        }

        int child(int node, byte b) {
            return children.get(key(node, b));
        }

        int value(int node) {
            return values[node];
        }

        /** How deep {@code in[at..]} follows the trie, values or not (llama.cpp's {@code get_longest_prefix}). */
        int longestPath(byte[] in, int at) {
            int node = ROOT;
            int i = at;
            while (i < in.length && (node = child(node, in[i])) >= 0) {
                i++;
            }
            return i - at;
        }

        private static long key(int node, byte b) {
            return (long) node << 8 | (b & 0xFF);
        }
    }
}
