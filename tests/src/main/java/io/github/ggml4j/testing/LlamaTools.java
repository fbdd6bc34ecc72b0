package io.github.ggml4j.testing;

import io.github.ggml4j.nativ.NativeLoader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Starts llama.cpp's own tools (llama-completion, llama-embedding, llama-perplexity ...), built from the pinned tree
 * with the natives, so that they print all they have to say.
 *
 * <p>Those tools print through an asynchronous logger that llama.cpp never joins at exit: a tool's last lines, or
 * all of its stdout, can be lost (llama-embedding printed no vector in half its runs on a 2-core Xeon). Every tool
 * started here has {@code libggml4j-logflush} (native/reference/ggml4j-logflush.c) preloaded, which flushes that
 * logger when the process exits, so a test can compare a tool's whole output and needs no retry.
 */
public final class LlamaTools {

    private static final String PRELOAD = System.getProperty("os.name").startsWith("Mac")
            ? "libggml4j-logflush.dylib" : "libggml4j-logflush.so";

    private LlamaTools() {
    }

    /** The directory of the reference tools; a build without them fails the caller. */
    public static Path dir() {
        return NativeLoader.ensureLoaded().referenceBinDir().orElseThrow(() -> new IllegalStateException(
                "ggml4j-natives.properties names no reference.bin.dir: the native build did not build llama.cpp's "
                        + "tools (build with -DGGML4J_REFERENCE=ON)"));
    }

    /** The executable of {@code tool}, which must exist. */
    public static Path path(String tool) {
        Path exe = dir().resolve(tool);
        if (!Files.isExecutable(exe)) {
            throw new IllegalStateException("llama.cpp tool " + exe + " is missing; rebuild the natives");
        }
        return exe;
    }

    /** The log-flushing library preloaded into every tool, which must exist. */
    public static Path logFlush() {
        Path lib = NativeLoader.ensureLoaded().extraBinDir().orElseThrow(() -> new IllegalStateException(
                "ggml4j-natives.properties names no extra.bin.dir: the native build did not build its helpers"))
                .resolve(PRELOAD);
        if (!Files.isRegularFile(lib)) {
            throw new IllegalStateException(lib + " is missing; rebuild the natives");
        }
        return lib;
    }

    /** A process builder for {@code tool args...} with the log flush preloaded; stdin reads nothing. */
    public static ProcessBuilder process(String tool, List<String> args) {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(path(tool).toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null")
                .toFile()));
        pb.environment().put(PRELOAD.endsWith(".dylib") ? "DYLD_INSERT_LIBRARIES" : "LD_PRELOAD",
                logFlush().toString());
        return pb;
    }
}
