package io.github.ggml4j.encoders;

import io.github.ggml4j.cli.ReferenceTool;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** llama.cpp's {@code llama-embedding} on a file, its raw vectors parsed (no normalisation). */
final class LlamaEmbedding {

    private LlamaEmbedding() {
    }

    /**
     * One row per line llama-embedding prints with {@code --embd-output-format raw}: one per text when it pools,
     * one per token without pooling, the scores of a reranker.
     *
     * @param texts the texts, one per line (a reranker's pairs as {@code query\tdocument})
     * @param rows  the rows expected: a different count, or rows of different widths, fail the test
     */
    static float[][] run(Path model, List<String> texts, boolean flashAttention, int rows) {
        ReferenceTool.Output o = ReferenceTool.check(300, "llama-embedding", "-m", model.toString(),
                "-p", String.join("\n", texts), "--embd-normalize", "-1", "--embd-output-format", "raw",
                "-t", "2", "-fa", flashAttention ? "on" : "off", "-c", "2048", "-b", "2048", "-ub", "2048");
        List<float[]> out = parse(o.text());
        if (out.size() != rows || out.stream().mapToInt(r -> r.length).distinct().count() != 1) {
            throw new AssertionError("llama-embedding printed " + out.size() + " rows (expected " + rows
                    + ") or rows of different widths:\n" + o.text() + "\n" + o.stderr());
        }
        return out.toArray(float[][]::new);
    }

    private static List<float[]> parse(String text) {
        List<float[]> rows = new ArrayList<>();
        for (String line : text.split("\n")) {
            String s = line.strip();
            if (s.isEmpty()) {
                continue;
            }
            String[] parts = s.split(" +");
            float[] row = new float[parts.length];
            try {
                for (int i = 0; i < parts.length; i++) {
                    row[i] = Float.parseFloat(parts[i]);
                }
            } catch (NumberFormatException e) {
                continue; // a log line, not a vector
            }
            rows.add(row);
        }
        return rows;
    }
}
