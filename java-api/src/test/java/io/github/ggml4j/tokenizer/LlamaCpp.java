package io.github.ggml4j.tokenizer;

import io.github.ggml4j.gguf.GgufFile;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The pinned llama.cpp tree (its vocabularies and test vectors) and its reference binaries, found through
 * {@code build/native/lib/ggml4j-natives.properties} under {@code -Dggml4j.root}, as the build records them.
 */
final class LlamaCpp {

    /** Every vocabulary with test vectors in the tree; all supported. */
    static final List<String> VECTOR_VOCABS = List.of("llama-spm", "phi-3", "llama-bpe", "qwen2", "qwen35", "gpt-2",
            "mpt", "starcoder", "refact", "command-r", "falcon", "deepseek-llm", "deepseek-coder", "gemma-4", "bert-bge");

    private static final Map<String, Tokenizer> CACHE = new ConcurrentHashMap<>();
    private static volatile Properties props;

    private LlamaCpp() {
    }

    private static Properties props() {
        Properties p = props;
        if (p == null) {
            p = new Properties();
            String root = System.getProperty("ggml4j.root", System.getenv().getOrDefault("GGML4J_ROOT", "."));
            Path file = Path.of(root, "build", "native", "lib", "ggml4j-natives.properties");
            if (Files.isRegularFile(file)) {
                try (InputStream in = Files.newInputStream(file)) {
                    p.load(in);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            props = p;
        }
        return p;
    }

    static Path tree() {
        String dir = props().getProperty("llama.source.dir");
        if (dir == null) {
            String env = System.getenv("GGML4J_LLAMA_CPP");
            dir = env != null ? env
                    : Path.of(System.getProperty("user.home"), ".cache", "ggml4j", "src", "llama.cpp-de3ff815ea7d").toString();
        }
        Path tree = Path.of(dir);
        assertTrue(Files.isDirectory(tree.resolve("models")),
                "llama.cpp tree not found at " + tree + " (build the natives, or set GGML4J_LLAMA_CPP)");
        return tree;
    }

    /** The directory of llama.cpp's own tools ({@code llama-tokenize}, {@code test-tokenizer-0}), if built. */
    static Optional<Path> referenceBin() {
        String dir = props().getProperty("reference.bin.dir");
        if (dir == null || !Files.isExecutable(Path.of(dir, "llama-tokenize"))) {
            return Optional.empty();
        }
        return Optional.of(Path.of(dir));
    }

    static Path vocab(String name) {
        return tree().resolve("models").resolve("ggml-vocab-" + name + ".gguf");
    }

    /** The tokenizer for a tree vocabulary, loaded once per JVM. */
    static Tokenizer tokenizer(String name) {
        return CACHE.computeIfAbsent(name, n -> {
            try (GgufFile f = GgufFile.open(vocab(n))) {
                return Tokenizer.fromGguf(f);
            }
        });
    }

    /**
     * A vocabulary's test vectors, read as {@code test-tokenizer-0} reads them: inputs split at
     * {@code "\n__ggml_vocab_test__\n"} (nothing after a final separator), one line of ids per input, and a
     * later duplicate input replacing an earlier one.
     */
    static Map<String, int[]> vectors(String name) {
        try {
            Path inp = Path.of(vocab(name) + ".inp");
            Path out = Path.of(vocab(name) + ".out");
            String raw = new String(Files.readAllBytes(inp), StandardCharsets.UTF_8);
            List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
            String sep = "\n__ggml_vocab_test__\n";
            List<String> inputs = new java.util.ArrayList<>();
            int pos = 0;
            while (pos < raw.length()) {
                int next = raw.indexOf(sep, pos);
                if (next < 0) {
                    inputs.add(raw.substring(pos));
                    break;
                }
                inputs.add(raw.substring(pos, next));
                pos = next + sep.length();
            }
            assertEquals(inputs.size(), lines.size(), name + ": inputs and outputs differ in number");
            Map<String, int[]> tests = new LinkedHashMap<>();
            for (int i = 0; i < inputs.size(); i++) {
                String o = lines.get(i).strip();
                int[] ids = o.isEmpty() ? new int[0] : Arrays.stream(o.split(" ")).mapToInt(Integer::parseInt).toArray();
                tests.put(inputs.get(i), ids);
            }
            return tests;
        } catch (IOException e) {
            return fail(e);
        }
    }
}
