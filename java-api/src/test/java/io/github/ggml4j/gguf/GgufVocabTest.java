package io.github.ggml4j.gguf;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Every vocabulary GGUF shipped with llama.cpp, read by us and by ggml's gguf.h, must agree exactly. */
class GgufVocabTest {

    static Stream<Path> vocabFiles() throws IOException {
        Path models = TestFiles.llamaCppTree().resolve("models");
        try (Stream<Path> s = Files.list(models)) {
            List<Path> files = s.filter(p -> p.getFileName().toString().matches("ggml-vocab-.*\\.gguf")).sorted().toList();
            assertFalse(files.isEmpty(), "no vocab files in " + models);
            return files.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vocabFiles")
    void readsLikeGgml(Path vocab) {
        GgmlReference expected = GgmlReference.read(vocab);
        assertNotNull(expected, "ggml refuses " + vocab);
        try (GgufFile f = GgufFile.open(vocab)) {
            assertEquals(expected, GgmlReference.ofOurs(f));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vocabFiles")
    void roundTripsThroughTheWriter(Path vocab, @TempDir Path tmp) {
        Path copy = tmp.resolve("copy.gguf");
        try (GgufFile f = GgufFile.open(vocab)) {
            GgufWriter.copyOf(f).write(copy);
            try (GgufFile g = GgufFile.open(copy)) {
                assertEquals(f.metadata().toMap(), g.metadata().toMap());
                assertEquals(f.tensors(), g.tensors());
                assertEquals(3, g.version());
            }
        }
        // and ggml agrees on the copy, value for value (the version aside)
        GgmlReference a = GgmlReference.read(vocab);
        GgmlReference b = GgmlReference.read(copy);
        assertNotNull(b);
        assertEquals(a.metadata(), b.metadata());
        assertEquals(a.tensors(), b.tensors());
    }
}
