package io.github.ggml4j.tokenizer;

import io.github.ggml4j.TokenizerException;
import io.github.ggml4j.gguf.GgufArray;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufValue;
import io.github.ggml4j.gguf.GgufValueType;
import io.github.ggml4j.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Malformed vocabularies fail at load with a {@link TokenizerException} that says what is wrong. */
class VocabularyValidationTest {

    @TempDir
    Path dir;

    /** llama.cpp's SPM test vocabulary, changed by {@code edit}, written and loaded again. */
    private Tokenizer loadEdited(String vocab, Consumer<GgufWriter> edit) {
        Path file = dir.resolve("edited.gguf");
        try (GgufFile src = GgufFile.open(LlamaCpp.vocab(vocab))) {
            GgufWriter w = GgufWriter.copyOf(src);
            edit.accept(w);
            w.write(file);
        }
        try (GgufFile f = GgufFile.open(file)) {
            return Tokenizer.fromGguf(f);
        }
    }

    private TokenizerException rejects(String vocab, Consumer<GgufWriter> edit, String messagePart) {
        TokenizerException e = assertThrows(TokenizerException.class, () -> loadEdited(vocab, edit));
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
        return e;
    }

    private static List<String> tokens(String vocab) {
        try (GgufFile f = GgufFile.open(LlamaCpp.vocab(vocab))) {
            return List.copyOf(f.metadata().getStringArray("tokenizer.ggml.tokens"));
        }
    }

    @Test
    void unchangedCopyLoads() {
        assertNotNull(loadEdited("llama-spm", w -> { }));
    }

    @Test
    void scoresShorterThanTokens() {
        rejects("llama-spm", w -> w.set("tokenizer.ggml.scores", GgufArray.ofFloats(new float[31999])), "31999 scores");
    }

    @Test
    void scoresLongerThanTokens() {
        rejects("llama-spm", w -> w.set("tokenizer.ggml.scores", GgufArray.ofFloats(new float[32001])), "32001 scores");
    }

    @Test
    void tokenTypesOfOtherLength() {
        rejects("llama-spm", w -> w.set("tokenizer.ggml.token_type", GgufArray.ofInts(new int[100])), "100 token types");
    }

    @Test
    void scoresAsBytes() {
        List<GgufValue> bytes = Collections.nCopies(32000, new GgufValue.UInt8(0));
        rejects("llama-spm", w -> w.set("tokenizer.ggml.scores", GgufArray.of(GgufValueType.UINT8, bytes)),
                "tokenizer.ggml.scores: array of u8");
    }

    @Test
    void scoresNotAnArray() {
        rejects("llama-spm", w -> w.set("tokenizer.ggml.scores", new GgufValue.Float32(1f)), "tokenizer.ggml.scores");
    }

    @Test
    void tokenTypesAsFloats() {
        rejects("llama-spm", w -> w.set("tokenizer.ggml.token_type", GgufArray.ofFloats(new float[32000])),
                "tokenizer.ggml.token_type: array of f32");
    }

    @Test
    void tokensNotStrings() {
        rejects("llama-spm", w -> w.set("tokenizer.ggml.tokens", GgufArray.ofInts(new int[32000])),
                "tokenizer.ggml.tokens: array of i32");
    }

    @Test
    void integerScoresAreAccepted() {
        // llama.cpp accepts i32 scores and converts them
        int[] scores = new int[32000];
        Tokenizer t = loadEdited("llama-spm", w -> w.set("tokenizer.ggml.scores", GgufArray.ofInts(scores)));
        assertEquals(32000, t.vocabSize());
    }

    @ParameterizedTest
    @ValueSource(strings = {"bos_token_id", "eos_token_id", "padding_token_id", "unknown_token_id", "eot_token_id",
        "seperator_token_id", "fim_pre_token_id"})
    void specialIdOutsideVocabulary(String key) {
        rejects("llama-spm", w -> w.set("tokenizer.ggml." + key, new GgufValue.UInt32(32000)), "outside the vocabulary");
    }

    @Test
    void specialIdOfWrongType() {
        rejects("llama-spm", w -> w.set("tokenizer.ggml.bos_token_id", new GgufValue.Str("1")), "bos_token_id");
    }

    @Test
    void flagOfWrongType() {
        rejects("llama-spm", w -> w.set("tokenizer.ggml.add_bos_token", new GgufValue.UInt8(1)), "add_bos_token");
    }

    @ParameterizedTest
    @ValueSource(strings = {"<0x-1>", "<0xZZ>", "<0x100>", "<0x0A", "0x0A>", "<0x\uFF10A>", "<0X0A>"})
    void malformedByteToken(String text) {
        List<String> tokens = new ArrayList<>(tokens("llama-spm"));
        tokens.set(13, text); // <0x0A>, typed BYTE
        rejects("llama-spm", w -> w.set("tokenizer.ggml.tokens", GgufArray.ofStrings(tokens)), "not <0xXX>");
    }

    @Test
    void lowercaseHexByteTokenIsAccepted() {
        List<String> tokens = new ArrayList<>(tokens("llama-spm"));
        tokens.set(13, "<0x0a>");
        Tokenizer t = loadEdited("llama-spm", w -> w.set("tokenizer.ggml.tokens", GgufArray.ofStrings(tokens)));
        assertEquals("\n", new String(t.tokenBytes(13), java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void duplicateTokens() {
        List<String> tokens = new ArrayList<>(tokens("llama-spm"));
        tokens.set(500, tokens.get(400));
        rejects("llama-spm", w -> w.set("tokenizer.ggml.tokens", GgufArray.ofStrings(tokens)), "duplicates token 400");
    }

    @Test
    void missingModel() {
        rejects("llama-spm", w -> w.remove("tokenizer.ggml.model"), "tokenizer.ggml.model is missing");
    }

    @Test
    void missingTokens() {
        rejects("llama-spm", w -> w.remove("tokenizer.ggml.tokens"), "tokenizer.ggml.tokens is missing");
    }

    @Test
    void unsupportedModel() {
        rejects("llama-spm", w -> w.set("tokenizer.ggml.model", new GgufValue.Str("plamo2")),
                "unsupported tokenizer model 'plamo2'");
    }

    @Test
    void unsupportedPreTokenizer() {
        rejects("gpt-2", w -> w.set("tokenizer.ggml.pre", new GgufValue.Str("no-such-pre")),
                "unsupported pre-tokenizer 'no-such-pre'");
    }

    @Test
    void bpeWithoutMerges() {
        rejects("gpt-2", w -> w.remove("tokenizer.ggml.merges"), "without merges");
    }

    @Test
    void mergesNotStrings() {
        rejects("gpt-2", w -> w.set("tokenizer.ggml.merges", GgufArray.ofInts(1, 2)), "tokenizer.ggml.merges");
    }

    // ---- the record and its builder, without a file

    private static final List<String> TINY = List.of("<unk>", "<s>", "</s>", "\u2581a", "a");

    @Test
    void builderChecksLengths() {
        TokenizerException e = assertThrows(TokenizerException.class,
                () -> Vocabulary.builder("llama", TINY).scores(new float[4]).build());
        assertTrue(e.getMessage().contains("5 tokens but 4 scores"), e.getMessage());
        e = assertThrows(TokenizerException.class,
                () -> Vocabulary.builder("llama", TINY).tokenTypes(List.of(TokenType.NORMAL)).build());
        assertTrue(e.getMessage().contains("5 tokens but 1 token types"), e.getMessage());
    }

    @Test
    void builderChecksSpecialIds() {
        TokenizerException e = assertThrows(TokenizerException.class,
                () -> Vocabulary.builder("llama", TINY).eos(5).build());
        assertTrue(e.getMessage().contains("eos token id 5"), e.getMessage());
        assertThrows(TokenizerException.class, () -> Vocabulary.builder("llama", TINY).pad(-2).build());
    }

    @Test
    void addBosNeedsABosToken() {
        // gpt2's default BOS id 11 is outside a 5-token vocabulary, so it is "none", as in llama.cpp
        TokenizerException e = assertThrows(TokenizerException.class,
                () -> Vocabulary.builder("gpt2", TINY).preTokenizer("llama-bpe").build());
        assertTrue(e.getMessage().contains("no BOS token"), e.getMessage());
        assertEquals(SpecialTokens.NONE, Vocabulary.builder("gpt2", TINY).preTokenizer("gpt-2").build()
                .specialTokens().bos());
    }

    @Test
    void emptyVocabulary() {
        assertThrows(TokenizerException.class, () -> Vocabulary.builder("llama", List.of()).build());
    }

    @Test
    void emptyTokensAreRenamedAsInLlamaCpp() {
        Vocabulary v = Vocabulary.builder("llama", List.of("<unk>", "<s>", "</s>", "")).build();
        assertEquals("[EMPTY_3]", v.tokens().get(3));
    }

    @Test
    void unsupportedModelName() {
        TokenizerException e = assertThrows(TokenizerException.class, () -> Vocabulary.builder("plamo2", TINY));
        assertTrue(e.getMessage().contains("plamo2"), e.getMessage());
    }

    private static GgufArray bytes(GgufValueType type, int... values) {
        List<GgufValue> v = new ArrayList<>();
        for (int b : values) {
            v.add(type == GgufValueType.UINT8 ? new GgufValue.UInt8(b & 0xFF) : new GgufValue.Int8((byte) b));
        }
        return GgufArray.of(type, v);
    }

    /** A T5 (UGM) charsmap must hold its size header and at least one byte of replacements after the array. */
    @Test
    void malformedPrecompiledCharsmapsAreRejected() {
        for (GgufArray bad : List.of(bytes(GgufValueType.UINT8, 1, 0), bytes(GgufValueType.UINT8, 4, 0, 0, 0, 0, 0, 0, 0),
                bytes(GgufValueType.INT8, -1, -1, -1, -1, 0))) {
            TokenizerException e = assertThrows(TokenizerException.class, () -> loadEdited("llama-spm", w -> {
                w.set("tokenizer.ggml.model", new GgufValue.Str("t5"));
                w.set("tokenizer.ggml.precompiled_charsmap", bad);
            }));
            assertTrue(e.getMessage().contains("precompiled charsmap") || e.getMessage().contains("precompiled_charsmap"),
                    e.getMessage());
        }
        TokenizerException e = assertThrows(TokenizerException.class, () -> loadEdited("llama-spm", w -> {
            w.set("tokenizer.ggml.model", new GgufValue.Str("t5"));
            w.set("tokenizer.ggml.precompiled_charsmap", GgufArray.ofFloats(1f, 2f, 3f, 4f, 5f));
        }));
        assertTrue(e.getMessage().contains("precompiled_charsmap"), e.getMessage());
    }

    /** A charsmap whose array sends a lookup outside itself fails the encode with a typed error, not a crash. */
    @Test
    void aCharsmapLookupOutsideTheArrayIsATypedError() {
        // root BASE 0x7F: the first byte 'a' (0x61) leads to entry 0x1E, beyond the one-entry array
        Tokenizer t = loadEdited("llama-spm", w -> {
            w.set("tokenizer.ggml.model", new GgufValue.Str("t5"));
            w.set("tokenizer.ggml.precompiled_charsmap", bytes(GgufValueType.UINT8, 4, 0, 0, 0, 0, 0xFC, 0x01, 0, 0));
        });
        assertThrows(TokenizerException.class, () -> t.encode("a", false, false));
    }
}
