package io.github.ggml4j.cli;

import io.github.ggml4j.StorageException;
import io.github.ggml4j.bench.BatchedBenchOptions;
import io.github.ggml4j.bench.BatchedBenchResult;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs llama.cpp's own {@code llama-batched-bench}, built from the same pinned tree, with the same settings and
 * a context that holds the largest configuration, and reads its JSON-lines output.
 */
final class LlamaBatchedBench {

    private LlamaBatchedBench() {
    }

    static List<BatchedBenchResult> run(Path toolsDir, Path model, BatchedBenchOptions o) {
        Path exe = toolsDir.resolve("llama-batched-bench");
        if (!Files.isExecutable(exe)) {
            throw new StorageException("llama-batched-bench not found at " + exe + "; build with -DGGML4J_REFERENCE=ON");
        }
        List<String> cmd = List.of(exe.toString(), "-m", model.toString(),
                "-c", Integer.toString(Math.max(256, o.cellsNeeded())), "-b", "2048", "-ub", Integer.toString(o.batchSize()),
                "-npp", join(o.promptTokens()), "-ntg", join(o.genTokens()), "-npl", join(o.parallel()),
                "-t", Integer.toString(o.threads()), "-fa", o.flashAttention() ? "on" : "off",
                "-kvu", "--output-format", "jsonl"); // -kvu: one KV cache for all sequences, as ggml4j's engine has
        Path errors = null;
        try {
            // the results come on stdout; its log lines go to a file, so they never break a JSON line apart
            errors = Files.createTempFile("llama-batched-bench", ".log");
            Process p = new ProcessBuilder(cmd).redirectError(errors.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int rc = p.waitFor();
            if (rc != 0) {
                throw new StorageException("llama-batched-bench exited with " + rc + ":\n"
                        + tail(Files.readString(errors)));
            }
            List<BatchedBenchResult> rows = parse(out);
            if (rows.isEmpty()) {
                throw new StorageException("llama-batched-bench printed no results:\n" + tail(out));
            }
            return rows;
        } catch (IOException e) {
            throw new StorageException("cannot run " + exe + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted while running llama-batched-bench", e);
        } finally {
            if (errors != null) {
                try {
                    Files.deleteIfExists(errors);
                } catch (IOException ignored) {
                    // a temporary log
                }
            }
        }
    }

    private static String join(List<Integer> v) {
        return String.join(",", v.stream().map(String::valueOf).toList());
    }

    private static String tail(String s) {
        return s.length() <= 2000 ? s : s.substring(s.length() - 2000);
    }

    private static final Pattern LINE = Pattern.compile("\\{[^{}]*\"speed_pp\"[^{}]*\\}");

    /** One JSON object per configuration; only the fields of the table are read. */
    static List<BatchedBenchResult> parse(String text) {
        List<BatchedBenchResult> rows = new ArrayList<>();
        Matcher m = LINE.matcher(text);
        while (m.find()) {
            String obj = m.group();
            rows.add(new BatchedBenchResult((int) num(obj, "pp"), (int) num(obj, "tg"), (int) num(obj, "pl"),
                    (int) num(obj, "n_kv"), num(obj, "t_pp"), num(obj, "t_tg")));
        }
        return rows;
    }

    private static double num(String obj, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*([-0-9.eE+]+)").matcher(obj);
        if (!m.find()) {
            throw new StorageException("llama-batched-bench output lacks " + name + ": " + obj);
        }
        return Double.parseDouble(m.group(1));
    }
}
