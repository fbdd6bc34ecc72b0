package io.github.ggml4j.testing;

import io.github.ggml4j.gguf.GgmlType;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the demo model README's first command runs: a small Llama (4 blocks × 256 wide, GQA 8:2, Q8_0) with
 * random weights and llama.cpp's real llama-spm vocabulary. It produces fluent-looking nonsense: the point is
 * to show the whole path (GGUF, tokenizer, graph, KV cache, detokenizer) working until a trained demo model
 * exists.
 */
public final class DemoModel {

    private DemoModel() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: DemoModel OUT.gguf");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        if (Files.isRegularFile(out)) {
            System.err.println("demo model already at " + out);
            return;
        }
        if (out.toAbsolutePath().getParent() != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
        }
        SyntheticLlama.llama(256, 4, 8, 2, 768).withTypes(GgmlType.Q8_0).withStd(0.08).withSeed(42).write(out);
        System.err.println("wrote the demo model to " + out);
    }
}
