package io.github.ggml4j.grammar;

import io.github.ggml4j.nativ.NativeLoader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * llama.cpp's own grammar sampler over a vocabulary: runs {@code ggml4j-grammar-ref}
 * (native/reference/ggml4j-grammar-ref.cpp over the pinned tree's libllama). Missing tool: the test fails.
 */
final class LlamaCppGrammar {

    private LlamaCppGrammar() {
    }

    static Path tree() {
        return NativeLoader.ensureLoaded().llamaSourceDir().orElseThrow(() -> new AssertionError(
                "ggml4j-natives.properties names no llama.source.dir"));
    }

    /** The lines {@code ggml4j-grammar-ref MODE MODEL GRAMMAR TOKENS [extra]} prints. */
    static List<String> run(String mode, Path model, String grammar, List<int[]> sequences, String... extra) {
        Path bin = NativeLoader.ensureLoaded().extraBinDir().orElseThrow().resolve("ggml4j-grammar-ref");
        if (!Files.isExecutable(bin)) {
            throw new AssertionError("grammar reference " + bin + " is missing; rebuild the natives");
        }
        try {
            Path g = Files.createTempFile("ggml4j-grammar-", ".gbnf");
            Path t = Files.createTempFile("ggml4j-grammar-", ".tokens");
            try {
                Files.writeString(g, grammar);
                StringBuilder b = new StringBuilder();
                for (int[] seq : sequences) {
                    for (int i = 0; i < seq.length; i++) {
                        b.append(i == 0 ? "" : " ").append(seq[i]);
                    }
                    b.append('\n');
                }
                Files.writeString(t, b);
                List<String> cmd = new ArrayList<>(List.of(bin.toString(), mode, model.toString(), g.toString(),
                        t.toString()));
                cmd.addAll(List.of(extra));
                Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
                p.getOutputStream().close();
                Thread errDrain = Thread.ofVirtual().start(() -> {
                    try {
                        p.getErrorStream().readAllBytes();
                    } catch (IOException ignored) {
                        // only drained
                    }
                });
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(300, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("ggml4j-grammar-ref timed out");
                }
                errDrain.join();
                if (p.exitValue() != 0) {
                    throw new AssertionError("ggml4j-grammar-ref " + mode + " exited " + p.exitValue());
                }
                return new String(out, StandardCharsets.UTF_8).lines().toList();
            } finally {
                Files.deleteIfExists(g);
                Files.deleteIfExists(t);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The harness's digest of an allowed-token mask: count and 64-bit FNV-1a-style hash of the ids. */
    static String digest(boolean[] allowed, int n) {
        long h = 0xcbf29ce484222325L;
        long count = 0;
        for (int t = 0; t < n; t++) {
            if (allowed[t]) {
                h = (h ^ t) * 1099511628211L;
                count++;
            }
        }
        return count + " " + Long.toUnsignedString(h);
    }
}
