package io.github.ggml4j.nativ;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * libggml4j's greedy pick agrees with the definition on the path this CPU gets (AVX2 on x86-64 machines that
 * have it) and, in child JVMs, on the SSE2 and scalar paths that {@code GGML4J_ARGMAX} forces.
 */
class NativeArgmaxTest {

    @TempDir
    Path tmp;

    @Test
    void defaultPathMatchesTheDefinition() {
        NativeLoader.ensureLoaded();
        assertNull(ArgmaxCases.check());
    }

    @ParameterizedTest
    @ValueSource(strings = {"sse2", "scalar"})
    void forcedPathMatchesTheDefinition(String path) throws Exception {
        ChildJvm.Result r = new ChildJvm(Files.createDirectories(tmp.resolve("work")), tmp.resolve("cache"))
                .property(NativeLoader.LIBRARY_PATH_PROPERTY, NativeLoader.ensureLoaded().libraryDir().toString())
                .env("GGML4J_ARGMAX", path)
                .runMain(ArgmaxChild.class);
        assertEquals(0, r.exit(), r::toString);
        assertEquals("ok", r.value("result"), r::toString);
    }
}
