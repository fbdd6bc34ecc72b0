package io.github.ggml4j.parity;

import io.github.ggml4j.nativ.NativeLoader;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * llama.cpp as the reference: runs {@code ggml4j-ref} (native/reference/ggml4j-ref.c, libllama from the pinned
 * tree) on a model file. The harness is always built with the natives, so a missing binary fails the test.
 */
public final class LlamaCpp {

    /** What one run produced: the last prompt position's logits and the greedy tokens (EOG included). */
    public record Result(float[] logits, int[] generated) {
    }

    private LlamaCpp() {
    }

    public static Path harness() {
        Path dir = NativeLoader.ensureLoaded().extraBinDir().orElseThrow(() -> new AssertionError(
                "ggml4j-natives.properties names no extra.bin.dir: the native build did not build ggml4j-ref"));
        Path bin = dir.resolve("ggml4j-ref");
        if (!Files.isExecutable(bin)) {
            throw new AssertionError("llama.cpp reference harness " + bin + " is missing; rebuild the natives");
        }
        return bin;
    }

    /**
     * Evaluates {@code prompt} in batches of {@code batch}, writes its last logits, then generates up to
     * {@code nPredict} tokens greedily (stopping after an end-of-generation token, which is included).
     */
    public static Result run(Path model, int[] prompt, int nPredict, int ctx, int batch, boolean flashAttention) {
        return run(model, prompt, nPredict, ctx, batch, flashAttention, List.of());
    }

    /** As above, with more harness flags ({@code -ub N}, {@code --swa-full 0|1}, {@code -ctk f32}). */
    public static Result run(Path model, int[] prompt, int nPredict, int ctx, int batch, boolean flashAttention,
                             List<String> extra) {
        Path logits;
        try {
            logits = Files.createTempFile("ggml4j-ref-", ".f32");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        try {
            List<String> cmd = new ArrayList<>(List.of(harness().toString(), "-m", model.toString(),
                    "-p", Arrays.stream(prompt).mapToObj(Integer::toString).collect(Collectors.joining(",")),
                    "-n", Integer.toString(nPredict), "-c", Integer.toString(ctx), "-b", Integer.toString(batch),
                    "-t", "2", "-fa", flashAttention ? "1" : "0", "--logits", logits.toString()));
            cmd.addAll(extra);
            Path out = Files.createTempFile("ggml4j-ref-", ".out");
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("ggml4j-ref timed out: " + String.join(" ", cmd));
                }
                String text = Files.readString(out);
                if (p.exitValue() != 0) {
                    throw new AssertionError("ggml4j-ref exited with " + p.exitValue() + ": " + text);
                }
                return new Result(readFloats(logits), parseGenerated(text));
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run ggml4j-ref: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            try {
                Files.deleteIfExists(logits);
            } catch (IOException ignored) {
                // a leftover temp file does not change the result
            }
        }
    }

    private static float[] readFloats(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.nativeOrder());
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }

    private static int[] parseGenerated(String text) {
        for (String line : text.split("\n")) {
            if (line.startsWith("generated=")) {
                String ids = line.substring("generated=".length()).trim();
                return ids.isEmpty() ? new int[0] : Arrays.stream(ids.split(",")).mapToInt(Integer::parseInt).toArray();
            }
        }
        throw new AssertionError("ggml4j-ref printed no generated= line: " + text);
    }
}
