package io.github.ggml4j.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Special ids, BOS/EOS, pieces and decoding rules on llama.cpp's vocabularies. */
class TokenizerApiTest {

    private static int[] concat(int[] a, int... b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int[] vector(String vocab, String input) {
        int[] ids = LlamaCpp.vectors(vocab).get(input);
        if (ids == null) {
            throw new AssertionError("no vector '" + input + "' for " + vocab);
        }
        return ids;
    }

    @Test
    void addSpecialFollowsTheVocabulary() {
        Tokenizer spm = LlamaCpp.tokenizer("llama-spm"); // add_bos_token = true, bos_token_id = 1
        assertTrue(spm.addsBos());
        assertFalse(spm.addsEos());
        assertArrayEquals(concat(new int[] {1}, vector("llama-spm", "Hello world")), spm.encode("Hello world", true, false));

        Tokenizer llama3 = LlamaCpp.tokenizer("llama-bpe"); // no add_bos key: on for the llama3 pre-tokenizer
        assertArrayEquals(concat(new int[] {128000}, vector("llama-bpe", "Hello world")),
                llama3.encode("Hello world", true, false));

        Tokenizer qwen = LlamaCpp.tokenizer("qwen2"); // no add_bos key: off for byte-level BPE
        assertFalse(qwen.addsBos());
        assertArrayEquals(vector("qwen2", "Hello world"), qwen.encode("Hello world", true, false));

        Tokenizer gemma = LlamaCpp.tokenizer("gemma-4"); // forced on
        assertTrue(gemma.addsBos());
        assertEquals(2, gemma.encode("Hello", true, false)[0]);

        Tokenizer bert = LlamaCpp.tokenizer("bert-bge"); // [CLS] ... [SEP]
        int[] ids = bert.encode("Hello world", true, false);
        assertArrayEquals(concat(concat(new int[] {101}, vector("bert-bge", "Hello world")), 102), ids);
    }

    @Test
    void specialTokensFromTheFileAndByName() {
        Tokenizer t = LlamaCpp.tokenizer("llama-bpe");
        SpecialTokens s = t.specialTokens();
        assertEquals(128000, s.bos());
        assertEquals(128001, s.eos());
        assertEquals(t.tokenId("<|eot_id|>"), s.eot());   // found by name, as llama.cpp does
        assertEquals(SpecialTokens.NONE, s.eom());        // Llama 3.0 has no <|eom_id|>
        assertTrue(t.isEndOfGeneration(s.eos()));
        assertTrue(t.isEndOfGeneration(s.eot()));
        assertFalse(t.isEndOfGeneration(s.bos()));
        assertFalse(t.isEndOfGeneration(9906));
        assertFalse(t.isEndOfGeneration(-1));
        assertTrue(t.isControl(s.eot()));
        assertEquals(TokenType.CONTROL, t.tokenType(s.bos()));
        assertEquals(128256, t.vocabSize());

        Tokenizer qwen = LlamaCpp.tokenizer("qwen2");
        assertEquals(qwen.tokenId("<|im_end|>"), qwen.specialTokens().eot());
        assertTrue(qwen.isEndOfGeneration(qwen.tokenId("<|endoftext|>")));
        assertTrue(qwen.isEndOfGeneration(qwen.tokenId("<|im_end|>")));
        assertFalse(qwen.isEndOfGeneration(qwen.tokenId("<|im_start|>")));
        assertTrue(Arrays.stream(qwen.endOfGenerationTokens()).anyMatch(id -> id == qwen.tokenId("<|im_end|>")));

        Tokenizer coder = LlamaCpp.tokenizer("deepseek-coder"); // FIM tokens found by name
        SpecialTokens c = coder.specialTokens();
        assertEquals(coder.tokenId("<\uFF5Cfim\u2581begin\uFF5C>"), c.fimPre());
        assertEquals(coder.tokenId("<\uFF5Cfim\u2581hole\uFF5C>"), c.fimSuf());
        assertEquals(coder.tokenId("<\uFF5Cfim\u2581end\uFF5C>"), c.fimMid());
        assertTrue(c.fimPre() > 0 && c.fimSuf() > 0 && c.fimMid() > 0);
        assertTrue(coder.isControl(c.fimPre()));

        Tokenizer spm = LlamaCpp.tokenizer("llama-spm");
        assertEquals(new SpecialTokens(1, 2, -1, -1, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1), spm.specialTokens());
    }

    @Test
    void parseSpecialRecognizesControlTokens() {
        Tokenizer t = LlamaCpp.tokenizer("llama-bpe");
        int eot = t.tokenId("<|eot_id|>");
        int[] parsed = t.encode("Hello world<|eot_id|>", false, true);
        assertArrayEquals(concat(vector("llama-bpe", "Hello world"), eot), parsed);
        int[] literal = t.encode("Hello world<|eot_id|>", false, false);
        assertFalse(Arrays.stream(literal).anyMatch(id -> id == eot));
    }

    @Test
    void pieces() {
        Tokenizer spm = LlamaCpp.tokenizer("llama-spm");
        assertEquals(" Hello", spm.tokenPiece(vector("llama-spm", " Hello")[1]));          // U+2581 is a space
        assertArrayEquals(new byte[] {'\n'}, spm.tokenBytes(spm.tokenId("<0x0A>")));         // byte token
        assertEquals("<s>", spm.tokenPiece(1));
        assertEquals(0, spm.tokenBytes(1, false).length);                                  // control, not rendered
        assertEquals("\u2581Hello", spm.tokenText(vector("llama-spm", " Hello")[1]));

        Tokenizer bpe = LlamaCpp.tokenizer("gpt-2");
        int hello = vector("gpt-2", " Hello")[0];
        assertEquals("\u0120Hello", bpe.tokenText(hello));                                 // byte alphabet
        assertEquals(" Hello", bpe.tokenPiece(hello));

        assertThrows(IllegalArgumentException.class, () -> bpe.tokenBytes(-1));
        assertThrows(IllegalArgumentException.class, () -> bpe.tokenBytes(bpe.vocabSize()));
        assertThrows(IllegalArgumentException.class, () -> bpe.decode(new int[] {0, bpe.vocabSize()}));
        assertThrows(IllegalArgumentException.class, () -> bpe.tokenText(Integer.MAX_VALUE));
        assertEquals(-1, bpe.tokenId("no such token \u0000"));
    }

    @Test
    void leadingSpaceRuleOfSpm() {
        // llama_detokenize drops one leading space of the first piece when the vocabulary adds a space
        // prefix, but not after a BOS it removes as special (nor after a BOS it renders)
        Tokenizer t = LlamaCpp.tokenizer("llama-spm");
        int[] hello = vector("llama-spm", "Hello");                  // "▁Hello", the prefix added by encoding
        assertEquals("Hello", t.decode(hello));
        assertEquals(" Hello", t.decode(concat(new int[] {1}, hello), true, false));
        assertEquals("<s> Hello", t.decode(concat(new int[] {1}, hello), false, true));
        assertEquals(" Hello", t.decode(concat(new int[] {1}, hello), false, false));
        assertEquals("Hello</s>", t.decode(concat(hello, 2), false, true));
        assertEquals("Hello", t.decode(concat(hello, 2), true, false));
    }

    @Test
    void decodeBytesMayBeIncompleteUtf8() {
        Tokenizer t = LlamaCpp.tokenizer("llama-spm");
        byte[] b = t.decodeBytes(new int[] {t.tokenId("<0xF0>"), t.tokenId("<0x9F>")}, false, false);
        assertArrayEquals(new byte[] {(byte) 0xF0, (byte) 0x9F}, b);
        assertEquals("\uFFFD", t.decode(new int[] {t.tokenId("<0xF0>"), t.tokenId("<0x9F>")}));
        assertEquals("\uD83E\uDD99", new String(t.decodeBytes(new int[] {t.tokenId("<0xF0>"), t.tokenId("<0x9F>"),
                t.tokenId("<0xA6>"), t.tokenId("<0x99>")}, false, false), StandardCharsets.UTF_8));
    }

    @Test
    void supportedPreTokenizers() {
        assertTrue(Tokenizer.supportedPreTokenizers().containsAll(
                java.util.List.of("llama-bpe", "llama3", "qwen2", "qwen35", "gpt-2", "falcon", "deepseek-llm",
                        "deepseek-coder", "starcoder", "refact", "command-r", "mpt", "gemma4", "default")));
        assertEquals("BpeTokenizer[BPE, pre='qwen2', 151936 tokens]", LlamaCpp.tokenizer("qwen2").toString());
    }
}
