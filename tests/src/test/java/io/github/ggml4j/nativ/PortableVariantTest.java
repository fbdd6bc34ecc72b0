package io.github.ggml4j.nativ;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The portable natives (every CPU variant, picked at run time): forcing the baseline variant {@code x64} still
 * runs and gives the same greedy tokens as the variant the probe picks, and as the native build of this machine.
 * Needs a portable build, so it runs only in the release check ({@code scripts/release-natives.sh}, which passes
 * {@code -Dggml4j.portable.lib=DIR -Dgroups=portable}); the normal build excludes the {@code portable} tag.
 */
@Tag("portable")
class PortableVariantTest {

    @TempDir
    Path tmp;

    private ChildJvm.Result run(Path libs, String variant) throws Exception {
        ChildJvm c = new ChildJvm(Files.createDirectories(tmp.resolve("work")), tmp.resolve("cache"))
                .property(NativeLoader.LIBRARY_PATH_PROPERTY, libs.toString());
        if (variant != null) {
            c.property("ggml4j.cpu.variant", variant);
        }
        ChildJvm.Result r = c.runMain(GreedyChild.class, NativesJarChildJvmTest.model().toString());
        assertEquals(0, r.exit(), r::toString);
        assertNotNull(r.value("ids"), r::toString);
        return r;
    }

    @Test
    void baselineVariantGivesTheSameGreedyTokens() throws Exception {
        String dir = System.getProperty("ggml4j.portable.lib");
        assertNotNull(dir, "-Dggml4j.portable.lib=DIR (a portable build's lib directory) is required");
        Path portable = Path.of(dir);
        assertTrue(Files.isRegularFile(portable.resolve(NativeLoader.PROPERTIES)), portable::toString);

        ChildJvm.Result picked = run(portable, null);
        ChildJvm.Result baseline = run(portable, "x64");
        ChildJvm.Result nativeBuild = run(NativeLoader.ensureLoaded().libraryDir(), null);
        assertEquals("x64", baseline.value("variant"), baseline::toString);
        assertNotEquals("x64", picked.value("variant"), "this CPU should get a better variant than the baseline");
        assertEquals(picked.value("ids"), baseline.value("ids"), () -> picked + "\n" + baseline);
        assertEquals(nativeBuild.value("ids"), picked.value("ids"), () -> nativeBuild + "\n" + picked);
    }
}
