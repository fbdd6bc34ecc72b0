package io.github.ggml4j.nativ;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The mmap hazard README and ModelOptions document, and its remedies ({@code withMmap(false)}, {@code --no-mmap};
 * {@code withMlock}, {@code --mlock}), each in a child JVM: truncating a model file while it is mapped kills the
 * process inside ggml (SIGBUS); with the weights copied at load the same truncation changes nothing.
 */
class MmapHazardTest {

    @TempDir
    Path tmp;

    private ChildJvm.Result run(String... args) throws Exception {
        Path work = Files.createDirectories(tmp.resolve("work"));
        ChildJvm c = new ChildJvm(work, tmp.resolve("cache"))
                .property(NativeLoader.LIBRARY_PATH_PROPERTY, NativeLoader.ensureLoaded().libraryDir().toString());
        c.property("ggml4j.probe", "off"); // the probe is not what this test is about
        return c.runMain(MmapChild.class, args);
    }

    private Path copyOfModel(String name) throws Exception {
        return Files.copy(NativesJarChildJvmTest.model(), tmp.resolve(name));
    }

    @Test
    void copiedWeightsSurviveTruncationAndMatchTheMappedOnes() throws Exception {
        ChildJvm.Result mapped = run(copyOfModel("a.gguf").toString(), "mmap", "nolock", "keep");
        assertEquals(0, mapped.exit(), mapped::toString);
        ChildJvm.Result copied = run(copyOfModel("b.gguf").toString(), "copy", "nolock", "truncate");
        assertEquals(0, copied.exit(), copied::toString);
        assertEquals("true", copied.value("truncated"));
        assertNotNull(mapped.value("ids"), mapped::toString);
        assertEquals(mapped.value("ids"), copied.value("ids"));
    }

    @Test
    void truncatingAMappedModelKillsTheProcess() throws Exception {
        // the model is F32: nothing is repacked, every matrix stays in the mapping and the next token reads them
        ChildJvm.Result r = run(copyOfModel("c.gguf").toString(), "mmap", "nolock", "truncate");
        assertEquals("true", r.value("truncated"), r::toString);
        assertNull(r.value("ids"), r::toString);
        assertNotEquals(0, r.exit(), r::toString);
        assertTrue(r.stderr().contains("SIGBUS") || r.stdout().contains("SIGBUS"), r::toString);
    }

    @Test
    void mlockLocksTheWeightsOrSaysWhyNot() throws Exception {
        ChildJvm.Result plain = run(copyOfModel("d.gguf").toString(), "mmap", "nolock", "keep");
        ChildJvm.Result locked = run(copyOfModel("e.gguf").toString(), "mmap", "lock", "keep");
        assertEquals(0, locked.exit(), locked::toString);
        assertEquals(plain.value("ids"), locked.value("ids"));
        long kb = Long.parseLong(locked.value("vmlck"));
        long modelKb = Files.size(NativesJarChildJvmTest.model()) / 1024;
        assertTrue(kb >= modelKb / 2 || locked.stderr().contains("failed to mlock"), locked::toString);
        assertEquals("0", plain.value("vmlck"), plain::toString);
    }
}
