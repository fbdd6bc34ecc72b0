package io.github.ggml4j.perf;

import io.github.ggml4j.bench.BenchOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs llama.cpp's {@code llama-bench} (built from the pinned tree against the same ggml) with a
 * {@link BenchOptions}' settings and reads its {@code -o json} output.
 *
 * {@snippet :
 * List<ReferenceBench.Result> r = ReferenceBench.run(toolsDir, model, new BenchOptions(512, 32, 2, 2, 512, true));
 * }
 */
public final class ReferenceBench {

    /** One llama-bench test: {@code pp512}, {@code tg32} ...; rates in tokens per second. */
    public record Result(String test, double tokensPerSecond, double stddev, int repetitions) {
    }

    private ReferenceBench() {
    }

    public static List<Result> run(Path toolsDir, Path model, BenchOptions o) {
        Path exe = toolsDir.resolve("llama-bench");
        if (!Files.isExecutable(exe)) {
            throw new IllegalStateException("llama-bench not found at " + exe + "; build with -DGGML4J_REFERENCE=ON");
        }
        List<String> cmd = List.of(exe.toString(), "-m", model.toString(),
                "-p", Integer.toString(o.promptTokens()), "-n", Integer.toString(o.genTokens()),
                "-t", Integer.toString(o.threads()), "-r", Integer.toString(o.repetitions()),
                "-ub", Integer.toString(o.batchSize()), "-fa", o.flashAttention() ? "1" : "0", "-o", "json");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int rc = p.waitFor();
            if (rc != 0) {
                throw new IllegalStateException("llama-bench exited with " + rc + ": " + String.join(" ", cmd));
            }
            return parse(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + exe, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running llama-bench", e);
        }
    }

    /** llama-bench's JSON: an array of test objects. */
    public static List<Result> parse(String json) {
        List<Result> out = new ArrayList<>();
        for (Object o : Json.array(Json.parse(json))) {
            Map<String, Object> t = Json.object(o);
            long pp = (long) Json.number(t.get("n_prompt"));
            long tg = (long) Json.number(t.get("n_gen"));
            String test = tg == 0 ? "pp" + pp : pp == 0 ? "tg" + tg : "pp" + pp + "+tg" + tg;
            Object samples = t.get("samples_ns");
            int reps = samples instanceof List<?> l ? l.size() : 0;
            out.add(new Result(test, Json.number(t.get("avg_ts")), Json.number(t.get("stddev_ts")), reps));
        }
        return out;
    }
}
