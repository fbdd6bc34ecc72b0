package io.github.ggml4j.cli;

import io.github.ggml4j.StorageException;
import io.github.ggml4j.bench.BenchOptions;
import io.github.ggml4j.bench.BenchResult;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs llama.cpp's own {@code llama-bench}, built from the same pinned tree against the same ggml, with the
 * same settings, and reads its JSON output.
 */
final class LlamaBench {

    private static final Pattern OBJECT = Pattern.compile("\\{[^{}]*\\}", Pattern.DOTALL);

    private LlamaBench() {
    }

    static List<BenchResult> run(Path toolsDir, Path model, BenchOptions o) {
        Path exe = toolsDir.resolve("llama-bench");
        if (!Files.isExecutable(exe)) {
            throw new StorageException("llama-bench not found at " + exe + "; build with -DGGML4J_REFERENCE=ON");
        }
        List<String> cmd = List.of(exe.toString(), "-m", model.toString(),
                "-p", Integer.toString(o.promptTokens()), "-n", Integer.toString(o.genTokens()),
                "-t", Integer.toString(o.threads()), "-r", Integer.toString(o.repetitions()),
                "-ub", Integer.toString(o.batchSize()), "-fa", o.flashAttention() ? "1" : "0",
                "-d", Integer.toString(o.depth()), "-o", "json");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int rc = p.waitFor();
            if (rc != 0) {
                throw new StorageException("llama-bench exited with " + rc);
            }
            return parse(out);
        } catch (IOException e) {
            throw new StorageException("cannot run " + exe + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted while running llama-bench", e);
        }
    }

    /** Each JSON object of llama-bench's output array is one test; only the fields we compare are read. */
    static List<BenchResult> parse(String json) {
        List<BenchResult> results = new ArrayList<>();
        Matcher m = OBJECT.matcher(json);
        while (m.find()) {
            String obj = m.group();
            long nPrompt = number(obj, "n_prompt");
            long nGen = number(obj, "n_gen");
            double avg = decimal(obj, "avg_ts");
            double sd = decimal(obj, "stddev_ts");
            long reps = count(obj, "samples_ns");
            long depth = obj.contains("\"n_depth\"") ? number(obj, "n_depth") : 0;
            String test = (nGen == 0 ? "pp" + nPrompt : nPrompt == 0 ? "tg" + nGen : "pp" + nPrompt + "+tg" + nGen)
                    + (depth > 0 ? " @ d" + depth : "");
            // llama-bench's rate for pp+tg counts both parts
            results.add(new BenchResult(test, (int) (nPrompt + nGen), avg, sd, (int) reps));
        }
        return results;
    }

    private static String field(String obj, String name) {
        // an array first: a scalar match would otherwise take "[ 1" of "[ 1, 2 ]"
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*(\\[[^\\]]*\\]|[^,}\\]\\n]+)").matcher(obj);
        if (!m.find()) {
            throw new StorageException("llama-bench output lacks " + name);
        }
        return m.group(1).trim();
    }

    private static long number(String obj, String name) {
        return Long.parseLong(field(obj, name));
    }

    private static double decimal(String obj, String name) {
        return Double.parseDouble(field(obj, name));
    }

    private static long count(String obj, String name) {
        String v = field(obj, name);
        String inner = v.substring(1, v.length() - 1).trim();
        return inner.isEmpty() ? 0 : inner.split(",").length;
    }
}
