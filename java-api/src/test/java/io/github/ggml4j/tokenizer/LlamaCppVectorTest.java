package io.github.ggml4j.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * llama.cpp's own tokenizer test vectors ({@code models/ggml-vocab-*.gguf.inp/.out}), used as
 * {@code test-tokenizer-0} uses them: {@code add_special = false}, {@code parse_special = false}.
 */
class LlamaCppVectorTest {

    /** Byte-level and Gemma 4 BPE vocabularies whose detokenizer drops the space in " ?" (clean_spaces). */
    private static final Set<String> CLEANS_SPACES = Set.of("llama-bpe", "gpt-2", "mpt", "starcoder", "refact",
            "falcon", "gemma-4");

    static final List<String> VOCABS = LlamaCpp.VECTOR_VOCABS;

    @ParameterizedTest(name = "{0}")
    @FieldSource("VOCABS")
    void encodesEveryVectorLikeLlamaCpp(String vocab) {
        Tokenizer t = LlamaCpp.tokenizer(vocab);
        Map<String, int[]> vectors = LlamaCpp.vectors(vocab);
        assertTrue(vectors.size() >= 40, vocab + ": only " + vectors.size() + " vectors");
        List<String> failures = new ArrayList<>();
        for (var e : vectors.entrySet()) {
            int[] got = t.encode(e.getKey(), false, false);
            if (!Arrays.equals(e.getValue(), got)) {
                failures.add("'" + e.getKey() + "': expected " + Arrays.toString(e.getValue()) + " got "
                        + Arrays.toString(got));
            }
        }
        assertEquals(List.of(), failures, vocab);
    }

    /**
     * Decoding llama.cpp's ids gives the input back, except where llama.cpp's own detokenizer does not:
     * clean_spaces vocabularies turn " ?" into "?", and WordPiece normalizes (not checked here; the
     * reference parity test compares it with llama.cpp's output).
     */
    @ParameterizedTest(name = "{0}")
    @FieldSource("VOCABS")
    void decodesVectorsBack(String vocab) {
        if (vocab.equals("bert-bge")) {
            return;
        }
        Tokenizer t = LlamaCpp.tokenizer(vocab);
        for (var e : LlamaCpp.vectors(vocab).entrySet()) {
            String expected = CLEANS_SPACES.contains(vocab) ? e.getKey().replace(" ?", "?") : e.getKey();
            assertEquals(expected, t.decode(e.getValue()), vocab + ": " + Arrays.toString(e.getValue()));
        }
    }

    @Test
    void everyVocabularyWithVectorsIsCovered() throws IOException {
        Set<String> inTree = new TreeSet<>();
        try (Stream<Path> s = Files.list(LlamaCpp.tree().resolve("models"))) {
            s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("ggml-vocab-") && n.endsWith(".gguf.inp"))
                    .forEach(n -> inTree.add(n.substring("ggml-vocab-".length(), n.length() - ".gguf.inp".length())));
        }
        assertEquals(inTree, new TreeSet<>(VOCABS));
    }
}
