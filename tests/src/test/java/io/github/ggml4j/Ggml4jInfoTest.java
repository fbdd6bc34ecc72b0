package io.github.ggml4j;

import io.github.ggml4j.cli.Main;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.internal.ggml.GgmlLib;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What ggml4j reports about the native runtime, through the API and the CLI. */
class Ggml4jInfoTest {

    @Test
    void infoReportsPinnedGgmlAndCpuBackend() {
        Ggml4jInfo info = Ggml4j.info();
        assertEquals("0.25.1", info.ggmlVersion());
        assertTrue(info.ggmlCommit().matches("[0-9a-f]{7,40}"), () -> "commit " + info.ggmlCommit());
        assertTrue(info.backends().stream().anyMatch(b -> b.name().equals("CPU") && b.deviceCount() >= 1),
                () -> "no CPU backend with a device in " + info.backends());
        assertTrue(info.devices().stream().anyMatch(d -> d.type().equals("CPU")),
                () -> "no CPU device in " + info.devices());
        assertTrue(Files.isRegularFile(Path.of(info.libraryDir(), "ggml4j-natives.properties")), info.libraryDir());
        assertTrue(info.defaultThreads() >= 1);
    }

    /** Each CPU extra buffer type comes with the kernel probe's verdict, as the placement of weights uses it. */
    @Test
    void infoShowsEachCpuBufferTypeWithItsVerdict() {
        Ggml4jInfo info = Ggml4j.info();
        io.github.ggml4j.runtime.Devices d = io.github.ggml4j.runtime.Devices.get();
        assertEquals(d.cpuVerdict().bufts().size(), info.cpuBufferTypes().size());
        assertFalse(info.probe().isBlank());
        for (Ggml4jInfo.BufferType b : info.cpuBufferTypes()) {
            boolean offered = d.cpuExtraBufts().stream().anyMatch(x -> io.github.ggml4j.runtime.Devices.buftName(x).equals(b.name()));
            assertEquals(b.usable(), offered, b::toString);
            assertTrue(b.usable() ? b.reason().startsWith("passed") || b.reason().startsWith("not probed")
                    : !b.reason().isBlank(), b::toString);
        }
        assertEquals("native".equals(info.cpuMode()), info.cpuVariants().isEmpty());
    }

    @Test
    void cliInfoPrintsVersionAndCpu() {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = Main.run("info");
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        assertTrue(out.contains("0.25.1"), out);
        assertTrue(out.contains("CPU"), out);
    }

    /** GgmlType is pure Java (GGUF headers are checked before native code runs); it must match ggml's traits. */
    @Test
    void ggmlTypeGeometryMatchesLoadedGgml() {
        Ggml4j.info(); // loads the natives
        for (GgmlType t : GgmlType.values()) {
            assertEquals(t.blockSize(), GgmlLib.ggml_blck_size(t.id()), t + " block size");
            assertEquals(t.typeSize(), GgmlLib.ggml_type_size(t.id()), t + " type size");
            assertEquals(t.ggmlName(), GgmlLib.ggml_type_name(t.id()).getString(0), t + " name");
            assertEquals(t.isQuantized(), GgmlLib.ggml_is_quantized(t.id()), t + " quantized");
        }
    }
}
