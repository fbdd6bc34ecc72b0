package io.github.ggml4j.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The builder's defaults are llama.cpp's loader defaults; small vocabularies built by hand. */
class VocabularyTest {

    private static List<String> tokens(int n) {
        List<String> t = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            t.add("t" + i);
        }
        return t;
    }

    @Test
    void defaultsPerModel() {
        Vocabulary spm = Vocabulary.builder("llama", tokens(200)).build();
        assertEquals(1, spm.specialTokens().bos());
        assertEquals(2, spm.specialTokens().eos());
        assertEquals(0, spm.specialTokens().unk());
        assertTrue(spm.addBos());
        assertFalse(spm.addEos());
        assertTrue(spm.addSpacePrefix());

        Vocabulary bert = Vocabulary.builder("bert", tokens(200)).build();
        assertEquals(new SpecialTokens(101, -1, -1, -1, 100, 102, 0, 103, -1, -1, -1, -1, -1, -1), bert.specialTokens());
        assertTrue(bert.lowercase());
        assertTrue(bert.stripAccents());
        assertFalse(Vocabulary.builder("bert", tokens(200)).lowercase(false).build().stripAccents());

        Vocabulary gpt2 = Vocabulary.builder("gpt2", tokens(200)).preTokenizer("gpt-2").build();
        assertEquals(11, gpt2.specialTokens().bos());
        assertFalse(gpt2.addBos());
        assertFalse(gpt2.addSpacePrefix());
        assertEquals("", Vocabulary.builder("gpt2", tokens(200)).build().preTokenizer()); // llama.cpp: "default"

        assertTrue(Vocabulary.builder("gpt2", tokens(200)).preTokenizer("llama3").build().addBos());
        assertFalse(Vocabulary.builder("gpt2", tokens(200)).preTokenizer("llama3").addBos(false).build().addBos());
        assertEquals(SpecialTokens.NONE,
                Vocabulary.builder("gpt2", tokens(200)).preTokenizer("chatglm-bpe").build().specialTokens().bos());

        Vocabulary gemma = Vocabulary.builder("gemma4", tokens(200)).bos(2).addBos(false).build();
        assertEquals("gemma4", gemma.preTokenizer());
        assertTrue(gemma.addBos(), "llama.cpp forces add_bos for Gemma 4");
    }

    @Test
    void valueSemantics() {
        float[] scores = new float[200];
        scores[5] = -1.5f;
        Vocabulary a = Vocabulary.builder("llama", tokens(200)).scores(scores).build();
        Vocabulary b = Vocabulary.builder("llama", tokens(200)).scores(scores).build();
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotSame(a.scores(), a.scores());
        a.scores()[5] = 0;
        assertEquals(-1.5f, a.scores()[5]);
        assertEquals(200, a.size());
        assertTrue(a.toString().contains("200 tokens"));
    }

    @Test
    void spmWithoutByteTokensFallsBackToUnknown() {
        // llama.cpp has no fallback here (it throws); ggml4j uses the unknown token
        List<String> t = List.of("<unk>", "<s>", "</s>", "\u2581", "a", "\u2581a");
        Tokenizer tok = Tokenizer.fromVocabulary(Vocabulary.builder("llama", t).scores(new float[] {0, 0, 0, -1, -2, -3})
                .build());
        assertArrayEquals(new int[] {5, 0, 0}, tok.encode("a\u00E9", false, false));
    }

    @Test
    void byteLevelPieceMarksCharactersOutsideTheAlphabet() {
        // llama.cpp's llama_decode_text: "[UNK_BYTE_0x" + hex of the UTF-8 + the whole token text + "]"
        List<String> t = List.of("a", "b", "a\u4E2D");
        Tokenizer tok = Tokenizer.fromVocabulary(Vocabulary.builder("gpt2", t).preTokenizer("gpt-2").build());
        assertEquals("a[UNK_BYTE_0xe4b8ada\u4E2D]", new String(tok.tokenBytes(2), StandardCharsets.UTF_8));
    }

    @Test
    void handBuiltBpe() {
        // the lowest rank merges first: in " ab", "a b" (rank 0) wins over "\u0120 a" (rank 2), and then
        // "\u0120 ab" is no merge; "\u0120" is the byte alphabet's space
        List<String> t = List.of("a", "b", "c", "ab", "abc", "\u0120", "\u0120a");
        Tokenizer tok = Tokenizer.fromVocabulary(Vocabulary.builder("gpt2", t).preTokenizer("gpt-2")
                .merges(List.of("a b", "ab c", "\u0120 a")).build());
        assertArrayEquals(new int[] {4, 5, 3}, tok.encode("abc ab", false, false));
        assertArrayEquals(new int[] {6}, tok.encode(" a", false, false));
        assertEquals("abc ab", tok.decode(new int[] {4, 5, 3}));
    }

    @Test
    void bpeMergesThroughPiecesThatAreNotTokens() {
        // llama.cpp merges strings: "ab" is no token but still merges with "c" into the token "abc"; a word
        // left as the non-token "ab" falls back to its characters' tokens
        List<String> t = List.of("a", "b", "c", "abc");
        Tokenizer tok = Tokenizer.fromVocabulary(Vocabulary.builder("gpt2", t).preTokenizer("gpt-2")
                .merges(List.of("a b", "ab c", "q r")).build());
        assertArrayEquals(new int[] {3}, tok.encode("abc", false, false));
        assertArrayEquals(new int[] {0, 1}, tok.encode("ab", false, false));
        assertEquals(4, tok.vocabSize());
    }

    /** The byte tokens' names are llama.cpp's {@code <0x%02X>}, and read back as their byte. */
    @Test
    void byteTokenTextIsUpperCaseHexAndRoundTrips() {
        for (int b = 0; b < 256; b++) {
            String text = Vocabulary.byteText(b);
            assertEquals(String.format("<0x%02X>", b), text);
            assertEquals(b, Vocabulary.byteValue(text));
        }
    }
}
