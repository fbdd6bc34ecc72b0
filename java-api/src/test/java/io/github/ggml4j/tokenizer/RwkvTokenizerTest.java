package io.github.ggml4j.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The RWKV world tokenizer's own rules, on small hand-made vocabularies (its agreement with llama-tokenize on a
 * full synthetic world vocabulary is tested in the tests module, RwkvCliTest).
 */
class RwkvTokenizerTest {

    static Tokenizer tokenizer(List<String> tokens, Integer unk) {
        int[] types = new int[tokens.size()];
        java.util.Arrays.fill(types, 1);
        types[0] = 3;
        Vocabulary.Builder b = Vocabulary.builder("rwkv", tokens).tokenTypeCodes(types);
        if (unk != null) {
            b.unk(unk);
        }
        return Tokenizer.fromVocabulary(b.build());
    }

    static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    @Test
    void unescapesAsLlamaCppReadsTokenStrings() {
        assertArrayEquals(bytes('\n'), RwkvTokenizer.unescape("\\n"));
        assertArrayEquals(bytes('\t', '\r'), RwkvTokenizer.unescape("\\t\\r"));
        assertArrayEquals(bytes('A', 0xFF, 0x0a), RwkvTokenizer.unescape("\\x41\\xff\\x0a"));
        assertArrayEquals(bytes('\\', '\'', '"'), RwkvTokenizer.unescape("\\\\\\'\\\""));
        assertArrayEquals("é x".getBytes(StandardCharsets.UTF_8), RwkvTokenizer.unescape("é x"));
        assertArrayEquals(bytes('a', 'b'), RwkvTokenizer.unescape("ab"));
    }

    @Test
    void greedyLongestMatchFromTheLeft() {
        Tokenizer t = tokenizer(List.of("<s>", "a", "b", "c", "ab", "abc", "\\n", "\\n\\n", "bca"), null);
        assertEquals(TokenizerModel.RWKV, t.model());
        // "abcab\n\n\na": abc, ab, \n\n, \n, a (greedy, not the best cover: "a" "bca" ... is never tried)
        assertArrayEquals(new int[] {5, 4, 7, 6, 1}, t.encode("abcab\n\n\na", true, false));
        assertFalse(t.addsBos());
        assertEquals("abcab\n\n\na", t.decode(new int[] {5, 4, 7, 6, 1}));
    }

    @Test
    void aLaterTokenWithTheSameBytesWins() {
        Tokenizer t = tokenizer(List.of("<s>", "\\xc3", "\\xa9", "\\xc3\\xa9", "é"), null);
        assertArrayEquals(new int[] {4, 4}, t.encode("éé", false, false));
        assertEquals("é", t.decode(new int[] {3}));
    }

    @Test
    void aByteNoTokenStartsIsTheUnknownTokenOrDropped() {
        List<String> tokens = new ArrayList<>(List.of("<s>", "a", "xyz"));
        assertArrayEquals(new int[] {1, 1}, tokenizer(tokens, null).encode("aqa", false, false));
        assertArrayEquals(new int[] {1, 0, 1}, tokenizer(tokens, 0).encode("aqa", false, false));
        // "x" starts only "xyz": no token matches "xa", so "x" counts as unknown and "a" goes on
        assertArrayEquals(new int[] {1}, tokenizer(tokens, null).encode("xa", false, false));
        assertArrayEquals(new int[] {0, 1}, tokenizer(tokens, 0).encode("xa", false, false));
    }

    @Test
    void controlTokensAreParsedWhenAskedAndRenderedUnescaped() {
        Tokenizer t = tokenizer(List.of("<s>", "<", "s", ">", "a"), null);
        assertArrayEquals(new int[] {0, 4}, t.encode("<s>a", false, true));
        // the control token's text is in the trie like any other token, as in llama.cpp
        assertArrayEquals(new int[] {0, 4}, t.encode("<s>a", false, false));
        assertArrayEquals(new int[] {1, 2, 4}, t.encode("<sa", false, false));
        assertEquals("<s>a", t.decode(new int[] {0, 4}));
    }
}
