package io.github.ggml4j.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * WordPiece as llama.cpp's {@code llm_tokenizer_wpm} (BERT): the text is normalized (optionally lowercased
 * and stripped of accents), cut at whitespace and around punctuation and CJK ideographs, and each word,
 * prefixed with U+2581, is covered greedily by the longest tokens; a word that cannot be covered becomes
 * the unknown token.
 */
final class WpmTokenizer extends Tokenizer {

    private static final char WORD_START = '\u2581';

    private final int maxTokenBytes;

    WpmTokenizer(Vocabulary vocabulary) {
        super(vocabulary, true, WpmTokenizer::unescape);
        int max = 0;
        for (String t : vocabulary.tokens()) {
            max = Math.max(max, Utf8.encodedLength(t));
        }
        this.maxTokenBytes = max;
    }

    @Override
    void beginSequence(IntList out) {
        out.add(specialTokens().bos());
    }

    @Override
    void endSequence(IntList out) {
        out.add(specialTokens().sep());
    }

    @Override
    void encodeText(String text, int from, int to, boolean afterSpecial, IntList out) {
        StringBuilder word = new StringBuilder();
        int i = from;
        while (i < to) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (vocabulary.stripAccents()) {
                cp = Unicode.nfdFirst(cp);
            }
            int flags = Unicode.flags(cp);
            if ((flags & Unicode.WHITESPACE) != 0) {
                encodeWord(word, out);
                continue;
            }
            if (cp == 0 || cp == 0xFFFD || (flags & Unicode.CONTROL) != 0) {
                continue;
            }
            if (vocabulary.stripAccents() && (flags & Unicode.MARK) != 0) {
                continue;
            }
            int c = vocabulary.lowercase() ? Unicode.toLower(cp) : cp;
            if ((flags & Unicode.PUNCTUATION) != 0 || (cp < 0x7F && (flags & Unicode.SYMBOL) != 0) || isChinese(cp)) {
                encodeWord(word, out);
                word.appendCodePoint(c);
                encodeWord(word, out);
            } else {
                word.appendCodePoint(c);
            }
        }
        encodeWord(word, out);
    }

    /** Greedy longest-match cover of {@code word} (then cleared); the unknown token if there is none. */
    private void encodeWord(StringBuilder word, IntList out) {
        if (word.isEmpty()) {
            return;
        }
        char[] w = new char[word.length() + 1];
        w[0] = WORD_START;
        word.getChars(0, word.length(), w, 1);
        word.setLength(0);
        // byte offset of every char boundary, for llama.cpp's limit on candidate length in bytes
        int[] byteAt = new int[w.length + 1];
        for (int k = 0; k < w.length; k++) {
            char c = w[k];
            int b = c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
            byteAt[k + 1] = byteAt[k] + b;
        }
        int mark = out.size();
        int i = 0;
        while (i < w.length) {
            int match = -1;
            for (int j = Math.min(w.length, i + maxTokenBytes + 1); j > i; j--) {
                if (byteAt[j] - byteAt[i] > maxTokenBytes + 1) {
                    continue;
                }
                int id = tokens.get(w, i, j - i);
                if (id >= 0 && id < vocabSize) {
                    out.add(id);
                    match = j;
                    break;
                }
            }
            if (match < 0) {
                out.truncate(mark);
                break;
            }
            i = match;
        }
        if (out.size() == mark && specialTokens().unk() >= 0) {
            out.add(specialTokens().unk());
        }
    }

    /** An ordinary token's bytes: U+2581 (the word start llama.cpp's converter writes) is a space. */
    static byte[] unescape(String text) {
        return text.replace(WORD_START, ' ').getBytes(StandardCharsets.UTF_8);
    }

    private static boolean isChinese(int cp) {
        return (cp >= 0x04E00 && cp <= 0x09FFF)
                || (cp >= 0x03400 && cp <= 0x04DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B920 && cp <= 0x2CEAF) // sic: llama.cpp (after HF) starts this range at 0x2B920
                || (cp >= 0x0F900 && cp <= 0x0FAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
