package io.github.ggml4j.cli;

import io.github.ggml4j.testing.SyntheticLlama;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ggml4j tokenize} prints what {@code llama-tokenize} prints, on llama.cpp's own vocabulary files (the
 * command reads only the vocabulary). llama-tokenize expands escapes in {@code -p} by default and ggml4j does
 * not, so it runs with {@code --no-escape}: both then see the same bytes.
 */
class TokenizeCommandTest {

    static final List<String> VOCABS = List.of("llama-spm", "qwen2", "bert-bge");

    static final List<String> TEXTS = List.of(
            "Hello world",
            "  leading spaces and\ttabs\n\nnew lines",
            "Grüße, 世界! 🦙 café",
            "<s>special</s> <|im_start|>user<|im_end|>",
            "3333 numbers 12.5 and don't stop");

    static Stream<Arguments> vocabsAndTexts() {
        List<Arguments> a = new ArrayList<>();
        for (String v : VOCABS) {
            for (String t : TEXTS) {
                a.add(Arguments.of(v, t));
            }
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("vocabsAndTexts")
    void idsEqualLlamaTokenize(String vocab, String text) {
        String file = SyntheticLlama.vocabPath(vocab).toString();
        Cli.Result ours = Cli.run("tokenize", "-m", file, "-p", text, "--ids");
        assertEquals(0, ours.exit(), ours.all());
        String ref = ReferenceTool.check(60, "llama-tokenize", "-m", file, "-p", text, "--ids", "--log-disable",
                "--no-escape").text();
        assertTrue(ref.matches("\\[[0-9, ]*\\]\n"), ref);
        assertEquals(ref, ours.out(), vocab + ": " + text);
    }

    @Test
    void flagsMatchLlamaTokenize() {
        String file = SyntheticLlama.vocabPath("llama-spm").toString();
        String text = "<s>Hi</s> there";
        for (List<String> flags : List.<List<String>>of(List.of(), List.of("--no-bos"), List.of("--no-parse-special"),
                List.of("--no-bos", "--no-parse-special"))) {
            List<String> args = new ArrayList<>(List.of("tokenize", "-m", file, "-p", text, "--ids"));
            args.addAll(flags);
            Cli.Result ours = Cli.run(args.toArray(String[]::new));
            assertEquals(0, ours.exit(), ours.all());
            List<String> refArgs = new ArrayList<>(List.of("-m", file, "-p", text, "--ids", "--log-disable"));
            refArgs.addAll(flags);
            String ref = ReferenceTool.check(60, "llama-tokenize", refArgs.toArray(String[]::new)).text();
            assertEquals(ref, ours.out(), flags.toString());
        }
        // the flags make a difference: BOS first by default, the special tokens as one id each (and, as in
        // llama.cpp, text after a special token gets a space prefix: " there" is "▁" + "▁there")
        assertEquals("[1, 1, 6324, 2, 29871, 727]\n", Cli.run("tokenize", "-m", file, "-p", text, "--ids").out());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("listingCases")
    void listingEqualsLlamaTokenize(String vocab, String text) {
        // "id -> 'piece'" lines, pieces with their special-token text; texts whose pieces are whole characters
        // and hold no newline
        String file = SyntheticLlama.vocabPath(vocab).toString();
        Cli.Result ours = Cli.run("tokenize", "-m", file, "-p", text);
        assertEquals(0, ours.exit(), ours.all());
        String ref = ReferenceTool.check(60, "llama-tokenize", "-m", file, "-p", text, "--log-disable", "--no-escape")
                .text();
        assertEquals(ref, ours.out(), vocab);
        assertTrue(ours.out().lines().allMatch(l -> l.matches(" *\\d+ -> '.*'")), ours.out());
    }

    static Stream<Arguments> listingCases() {
        return Stream.of(Arguments.of("llama-spm", "Hello world, café"),
                Arguments.of("qwen2", "<|im_start|>user Hello world<|im_end|>"));
    }

    @Test
    void unsupportedTokenizerIsAModelError(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        // llama-spm's vocabulary relabelled with a tokenizer model ggml4j does not implement
        java.nio.file.Path file = dir.resolve("plamo2-vocab.gguf");
        try (io.github.ggml4j.gguf.GgufFile src = io.github.ggml4j.gguf.GgufFile.open(SyntheticLlama.vocabPath("llama-spm"))) {
            io.github.ggml4j.gguf.GgufWriter.copyOf(src)
                    .set("tokenizer.ggml.model", new io.github.ggml4j.gguf.GgufValue.Str("plamo2")).write(file);
        }
        Cli.Result r = Cli.run("tokenize", "-m", file.toString(), "-p", "hi");
        GenerateCommandTest.assertOneLineError(r, 5, "tokenizer");
    }

    @Test
    void aUnigramVocabularyTokenizes() {
        // nomic-bert-moe's vocabulary is a T5 (unigram) one with a precompiled charsmap
        Cli.Result r = Cli.run("tokenize", "-m", SyntheticLlama.vocabPath("nomic-bert-moe").toString(), "-p", "hi");
        assertEquals(0, r.exit(), r.toString());
    }
}
