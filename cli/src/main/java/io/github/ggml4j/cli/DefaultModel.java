package io.github.ggml4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The model {@code generate} and {@code chat} use when no {@code -m} is given: the demo model committed in the
 * repository ({@code models/ggml4j-demo-q8_0.gguf}, trained by {@code ./ggml4j train}), found under
 * {@code -Dggml4j.root} (the {@code ./ggml4j} launcher sets it) or {@code GGML4J_ROOT}.
 */
final class DefaultModel {

    /** The committed demo model, relative to the repository root. */
    static final String RELATIVE = "models/ggml4j-demo-q8_0.gguf";

    private DefaultModel() {
    }

    /** {@code given}, or the demo model when {@code given} is null. */
    static Path orDemo(Path given) {
        if (given != null) {
            return given;
        }
        String root = System.getProperty("ggml4j.root");
        if (root == null || root.isBlank()) {
            root = System.getenv("GGML4J_ROOT");
        }
        if (root != null && !root.isBlank()) {
            Path demo = Path.of(root).resolve(RELATIVE);
            if (Files.isRegularFile(demo)) {
                return demo;
            }
            throw new IllegalArgumentException("no -m given and the demo model " + demo + " is missing");
        }
        throw new IllegalArgumentException("Missing required option: '--model=<model>' (the demo model is"
                + " the default only when run from the repository: ./ggml4j sets -Dggml4j.root)");
    }

    /** {@code given}; a usage error (exit code 2) when null, for commands without a default model. */
    static Path required(Path given) {
        if (given == null) {
            throw new IllegalArgumentException("Missing required option: '--model=<model>'");
        }
        return given;
    }
}
