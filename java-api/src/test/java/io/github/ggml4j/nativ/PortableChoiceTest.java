package io.github.ggml4j.nativ;

import io.github.ggml4j.NativeLibraryException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How a portable build's CPU variant is chosen, with a stand-in probe (a shell script speaking the probe's line
 * protocol) over fake variant files: zen4 cannot run here (score 0), skx scores best but its plain path crashes,
 * haswell passes, x64 is never probed because haswell passed.
 */
class PortableChoiceTest {

    private static final String FAKE_PROBE = """
            #!/bin/sh
            lib=""; only=""
            while [ $# -gt 0 ]; do
              case "$1" in --backend) lib="$2"; shift ;; --score) only=1 ;; esac
              shift
            done
            name=$(basename "$lib" .so); name=${name#libggml-cpu-}
            case "$name" in zen4) sc=0 ;; skx) sc=60 ;; haswell) sc=50 ;; *) sc=10 ;; esac
            echo "probe 1"
            echo "variant $lib score=$sc"
            [ "$sc" = 0 ] && exit 4
            [ -n "$only" ] && exit 0
            echo "buft CPU_REPACK"
            echo "begin CPU q4_0 decode"
            [ "$name" = skx ] && kill -SEGV $$
            echo "result CPU q4_0 decode ok nmse=1e-05"
            echo "begin CPU_REPACK q4_0 decode"
            echo "result CPU_REPACK q4_0 decode ok nmse=1e-14"
            echo done
            """;
    private static final List<String> FILES = List.of("libggml-cpu-x64.so", "libggml-cpu-haswell.so",
            "libggml-cpu-skx.so", "libggml-cpu-zen4.so");

    @TempDir
    Path tmp;
    private Path dir;
    private final Properties props = new Properties();

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createDirectories(tmp.resolve("lib"));
        for (String f : FILES) {
            Files.writeString(dir.resolve(f), "not a library");
        }
        Path probe = Files.writeString(dir.resolve("fake-probe"), FAKE_PROBE);
        assertTrue(probe.toFile().setExecutable(true));
        props.setProperty("probe.exe", "fake-probe");
        System.setProperty(ProbeCache.DIR_PROPERTY, tmp.resolve("cache").toString());
        CpuPaths.resetForTests();
    }

    @AfterEach
    void tearDown() {
        System.clearProperty(ProbeCache.DIR_PROPERTY);
        System.clearProperty("ggml4j.cpu.variant");
        System.clearProperty("ggml4j.probe");
        CpuPaths.resetForTests();
    }

    private static Map<String, ProbeVerdict> byName(List<ProbeVerdict> vs) {
        return vs.stream().collect(Collectors.toMap(ProbeVerdict::variant, v -> v));
    }

    @Test
    void bestScoringVariantThatPassesIsChosen() {
        Path chosen = CpuPaths.choosePortable(dir, props, FILES).orElseThrow();
        assertEquals(dir.resolve("libggml-cpu-haswell.so"), chosen);
        CpuPaths.State st = CpuPaths.state().orElseThrow();
        assertEquals("haswell", st.chosen());
        Map<String, ProbeVerdict> v = byName(st.variants());
        assertEquals(0, v.get("zen4").score());
        assertFalse(v.get("zen4").usable());
        assertFalse(v.get("skx").usable());
        assertTrue(v.get("skx").reason().contains("crashed (SIGSEGV) in plain CPU mul_mat q4_0 decode"), v.get("skx").reason());
        assertTrue(v.get("haswell").usable());
        assertTrue(v.get("haswell").buft("CPU_REPACK").orElseThrow().accepts("q4_0"));
        assertTrue(v.get("x64").reason().startsWith("not probed"), v.get("x64").reason());
        assertTrue(st.how().startsWith("probed"), st.how());
        // the next JVM reads the same choice from the cache
        CpuPaths.resetForTests();
        assertEquals(chosen, CpuPaths.choosePortable(dir, props, FILES).orElseThrow());
        assertTrue(CpuPaths.state().orElseThrow().how().startsWith("cached"));
    }

    @Test
    void forcedVariantIsLoadedAndStillProbed() {
        System.setProperty("ggml4j.cpu.variant", "x64");
        assertEquals(dir.resolve("libggml-cpu-x64.so"), CpuPaths.choosePortable(dir, props, FILES).orElseThrow());
        CpuPaths.State st = CpuPaths.state().orElseThrow();
        assertEquals("x64", st.chosen());
        assertTrue(byName(st.variants()).get("x64").usable(), st::toString);
        System.setProperty("ggml4j.cpu.variant", "pentium");
        CpuPaths.resetForTests();
        NativeLibraryException e = assertThrows(NativeLibraryException.class,
                () -> CpuPaths.choosePortable(dir, props, FILES));
        assertTrue(e.getMessage().contains("haswell"), e.getMessage());
    }

    @Test
    void probeOffLeavesTheChoiceToGgml() {
        System.setProperty("ggml4j.probe", "off");
        assertTrue(CpuPaths.choosePortable(dir, props, FILES).isEmpty());
        assertTrue(CpuPaths.state().isEmpty());
    }

    @Test
    void noUsableVariantIsATypedError() {
        List<String> bad = List.of("libggml-cpu-skx.so", "libggml-cpu-zen4.so");
        NativeLibraryException e = assertThrows(NativeLibraryException.class,
                () -> CpuPaths.choosePortable(dir, props, bad));
        assertTrue(e.getMessage().contains("skx: probe crashed (SIGSEGV)"), e.getMessage());
    }
}
