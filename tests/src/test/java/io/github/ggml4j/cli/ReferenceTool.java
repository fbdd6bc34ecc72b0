package io.github.ggml4j.cli;

import io.github.ggml4j.testing.LlamaTools;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * llama.cpp's own tools (llama-simple, llama-completion, llama-tokenize, llama-bench), built from the pinned tree
 * against the same ggml. They are always built with the natives, so a missing one fails the test. Their
 * asynchronous logger is flushed at exit ({@link LlamaTools}): what they print is complete.
 */
public final class ReferenceTool {

    /** What a run printed: stdout as raw bytes (tools print token bytes, not always valid UTF-8). */
    public record Output(int exit, byte[] stdout, String stderr) {

        public String text() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    private ReferenceTool() {
    }

    public static Path dir() {
        try {
            return LlamaTools.dir();
        } catch (IllegalStateException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    public static Path path(String tool) {
        try {
            return LlamaTools.path(tool);
        } catch (IllegalStateException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    /** Runs {@code tool args...}, failing the test if it does not end within {@code timeoutSeconds}. */
    public static Output run(long timeoutSeconds, String tool, String... args) {
        ProcessBuilder pb;
        try {
            pb = LlamaTools.process(tool, List.of(args));
        } catch (IllegalStateException e) {
            throw new AssertionError(e.getMessage(), e);
        }
        List<String> cmd = pb.command();
        try {
            Process p = pb.start();
            // both pipes drained on their own threads: a chatty stderr cannot block the tool, nor a hung tool the test
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(tool + " timed out: " + String.join(" ", cmd));
            }
            return new Output(p.exitValue(), out.get(), new String(err.get(), StandardCharsets.UTF_8));
        } catch (IOException | ExecutionException e) {
            throw new AssertionError("cannot run " + String.join(" ", cmd) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** As {@link #run}, but a non-zero exit fails the test with what the tool printed. */
    public static Output check(long timeoutSeconds, String tool, String... args) {
        Output o = run(timeoutSeconds, tool, args);
        if (o.exit() != 0) {
            throw new AssertionError(tool + " " + String.join(" ", args) + " exited with " + o.exit() + "\n"
                    + o.text() + "\n" + o.stderr());
        }
        return o;
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
