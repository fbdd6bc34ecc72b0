package io.github.ggml4j.nativ;

import io.github.ggml4j.NativeLibraryException;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.internal.ggml.ggml_init_params;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Main class that {@link NativeLoaderChildJvmTest} runs in a child JVM, since native libraries load once per
 * JVM. Prints {@code key=value} lines on stdout.
 *
 * <ul>
 *   <li>{@code load}: loads the natives; prints dir, source and version, or the NativeLibraryException's
 *       message (exit 3).</li>
 *   <li>{@code abort}: loads, then makes ggml fail a GGML_ASSERT, which must end the process through
 *       ggml4j's abort handler.</li>
 * </ul>
 */
public final class LoaderProbe {

    static final int EXIT_LOAD_FAILED = 3;

    private LoaderProbe() {
    }

    public static void main(String[] args) {
        NativeRuntime rt;
        try {
            rt = NativeLoader.ensureLoaded();
        } catch (NativeLibraryException e) {
            System.out.println("error=" + e.getMessage().replace("\n", "\\n"));
            System.out.flush();
            System.exit(EXIT_LOAD_FAILED);
            return;
        }
        System.out.println("dir=" + rt.libraryDir());
        System.out.println("source=" + rt.source());
        System.out.println("version=" + rt.ggmlVersion());
        System.out.flush();
        if (args.length > 0 && args[0].equals("abort")) {
            triggerAssert();
            System.out.println("survived=true");
        }
    }

    /** ggml_new_tensor asserts that the type is below GGML_TYPE_COUNT; nothing in libggml4j checks first. */
    private static void triggerAssert() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = ggml_init_params.allocate(arena);
            ggml_init_params.mem_size(params, 1 << 20);
            ggml_init_params.mem_buffer(params, MemorySegment.NULL);
            ggml_init_params.no_alloc(params, true);
            MemorySegment ctx = GgmlLib.ggml_init(params);
            GgmlLib.ggml_new_tensor_1d(ctx, GgmlLib.GGML_TYPE_COUNT() + 7, 8);
            GgmlLib.ggml_free(ctx);
        }
    }
}
