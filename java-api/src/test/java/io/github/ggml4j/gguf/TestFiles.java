package io.github.ggml4j.gguf;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where the pinned llama.cpp source tree is. */
final class TestFiles {

    private TestFiles() {
    }

    static Path llamaCppTree() {
        String env = System.getenv("GGML4J_LLAMA_CPP");
        Path tree = env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "ggml4j", "src", "llama.cpp-de3ff815ea7d");
        assertTrue(Files.isDirectory(tree.resolve("gguf-py")), "llama.cpp source tree not found at " + tree);
        return tree;
    }
}
