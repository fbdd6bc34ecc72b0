package io.github.ggml4j.nativ;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parsing the probe's output and judging runs, on outputs written by hand (no natives needed). */
class ProbeVerdictTest {

    /** What a probe on an AMX machine prints when AMX's kernel crashes: the run ends inside an AMX check. */
    private static final String AMX_CRASH = """
            probe 1
            variant native
            device CPU Intel Xeon
            buft AMX
            buft CPU_REPACK
            unsupported AMX f16
            begin CPU q4_0 decode
            result CPU q4_0 decode ok nmse=1.2e-05
            begin CPU q4_0 prefill
            result CPU q4_0 prefill ok nmse=1.4e-05
            begin CPU q4_0 batch
            result CPU q4_0 batch ok nmse=1.4e-05
            begin AMX q4_0 decode
            """;

    private static final String REPACK_ONLY = """
            probe 1
            variant native
            buft AMX skipped
            buft CPU_REPACK
            begin CPU q4_0 decode
            result CPU q4_0 decode ok nmse=1.2e-05
            begin CPU_REPACK q4_0 decode
            result CPU_REPACK q4_0 decode ok nmse=2e-14
            begin CPU_REPACK q4_0 prefill
            result CPU_REPACK q4_0 prefill ok nmse=2e-14
            begin CPU q4_K decode
            result CPU q4_K decode ok nmse=1.4e-05
            begin CPU_REPACK q4_K decode
            result CPU_REPACK q4_K decode ok nmse=1e-14
            begin CPU_REPACK q4_K prefill
            result CPU_REPACK q4_K prefill fail nmse=0.53
            done
            """;

    @Test
    void parsesACrashedRun() {
        ProbeRun r = ProbeRun.parse(AMX_CRASH, 139, false);
        assertEquals(List.of("AMX", "CPU_REPACK"), r.bufts());
        assertEquals(3, r.results().size());
        assertEquals(new ProbeRun.Check("AMX", "q4_0", "decode"), r.pending().orElseThrow());
        assertFalse(r.done());
        assertFalse(r.complete());
        assertEquals("crashed (SIGSEGV)", r.ending(60));
        assertEquals("crashed (SIGILL)", ProbeRun.parse("", 132, false).ending(60));
        assertEquals("timed out after 60 s", ProbeRun.parse("", -1, true).ending(60));
        assertEquals("exited with 3", ProbeRun.parse("", 3, false).ending(60));
    }

    @Test
    void amxCrashDisablesAmxOnlyAndPerTypeFailuresDisableTheirBuffer() {
        ProbeRun first = ProbeRun.parse(AMX_CRASH, 139, false);
        ProbeRun second = ProbeRun.parse(REPACK_ONLY, 0, false);
        Map<String, String> crashed = new LinkedHashMap<>();
        crashed.put("AMX", "crashed (SIGSEGV) in mul_mat q4_0 decode");
        ProbeVerdict v = KernelProbe.verdict("native", List.of(first, second), crashed, 60);
        assertTrue(v.usable(), v::toString);
        assertEquals(List.of("AMX", "CPU_REPACK"), v.bufts().stream().map(ProbeVerdict.Buft::name).toList());
        ProbeVerdict.Buft amx = v.buft("AMX").orElseThrow();
        assertFalse(amx.usable());
        assertEquals("crashed (SIGSEGV) in mul_mat q4_0 decode", amx.reason());
        ProbeVerdict.Buft repack = v.buft("CPU_REPACK").orElseThrow();
        assertFalse(repack.usable(), "one wrong shape fails the whole buffer type");
        assertTrue(repack.reason().contains("mul_mat q4_K prefill (nmse 0.53"), repack.reason());
    }

    @Test
    void passingRunListsItsTypes() {
        String ok = REPACK_ONLY.replace("prefill fail nmse=0.53", "prefill ok nmse=3e-14");
        ProbeVerdict v = KernelProbe.verdict("native", List.of(ProbeRun.parse(ok, 0, false)), Map.of(), 60);
        ProbeVerdict.Buft repack = v.buft("CPU_REPACK").orElseThrow();
        assertTrue(repack.usable());
        assertEquals(Set.of("q4_0", "q4_K"), repack.types());
        assertTrue(repack.accepts("q4_K"));
        assertFalse(repack.accepts("q8_0"), "a type the probe did not pass never goes there");
        assertEquals("passed", v.reason());
    }

    @Test
    void unsupportedVariant() {
        ProbeRun r = ProbeRun.parse("probe 1\nvariant /x/libggml-cpu-zen4.so score=0\n", ProbeRun.EXIT_UNSUPPORTED_VARIANT, false);
        assertEquals(0, r.score());
        ProbeVerdict v = KernelProbe.verdict("zen4", List.of(r), Map.of(), 60);
        assertFalse(v.usable());
        assertEquals(0, v.score());
        assertTrue(v.reason().contains("score 0"));
    }

    @Test
    void linesRoundTrip() {
        ProbeVerdict v = new ProbeVerdict("haswell", 58, true, "passed", List.of(
                new ProbeVerdict.Buft("AMX", false, "crashed (SIGSEGV) in mul_mat q4_0 decode", Set.of()),
                new ProbeVerdict.Buft("CPU_REPACK", true, "passed", Set.of("q4_0", "iq4_nl"))));
        ProbeVerdict w = new ProbeVerdict("x64", 1, false, "not probed\t(a better variant passed)", List.of());
        List<String> lines = new java.util.ArrayList<>(v.toLines());
        lines.addAll(w.toLines());
        List<ProbeVerdict> back = ProbeVerdict.fromLines(lines);
        assertEquals(2, back.size());
        assertEquals(v, back.get(0));
        assertEquals("not probed (a better variant passed)", back.get(1).reason(), "tabs cannot break a line");
    }

    @Test
    void malformedLinesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ProbeVerdict.fromLines(List.of("V\tnative\t1\t1")));
        assertThrows(IllegalArgumentException.class, () -> ProbeVerdict.fromLines(List.of("V\tnative\tx\t1\tok")));
        assertThrows(IllegalArgumentException.class, () -> ProbeVerdict.fromLines(List.of("V\tnative\t1\t2\tok")));
        assertThrows(IllegalArgumentException.class, () -> ProbeVerdict.fromLines(List.of("B\tnative\tAMX\t1\t\tok")));
        assertThrows(IllegalArgumentException.class, () -> ProbeVerdict.fromLines(List.of("X")));
        assertThrows(IllegalArgumentException.class, () -> new ProbeVerdict.Buft("A B", true, "ok", Set.of()));
    }

    @Test
    void trustedVerdictAcceptsEveryType() {
        ProbeVerdict t = ProbeVerdict.trusted("native", List.of("AMX"));
        assertTrue(t.buft("AMX").orElseThrow().accepts("q6_K"));
    }

    @Test
    void settingsParse() {
        CpuPaths.Settings d = CpuPaths.Settings.parse(null, null, null, null);
        assertTrue(d.probe());
        assertTrue(d.disabled().isEmpty());
        assertTrue(d.variant().isEmpty());
        assertEquals(60, d.timeoutSeconds());
        CpuPaths.Settings s = CpuPaths.Settings.parse("OFF", " amx, CPU_Repack ,", "haswell", "5");
        assertFalse(s.probe());
        assertEquals(Set.of("AMX", "CPU_REPACK"), s.disabled());
        assertTrue(s.disables("amx"));
        assertEquals("haswell", s.variant().orElseThrow());
        assertEquals(5, s.timeoutSeconds());
        assertThrows(IllegalArgumentException.class, () -> CpuPaths.Settings.parse("maybe", null, null, null));
        assertThrows(IllegalArgumentException.class, () -> CpuPaths.Settings.parse(null, null, null, "soon"));
        assertThrows(IllegalArgumentException.class, () -> CpuPaths.Settings.parse(null, null, null, "0"));
    }

    @Test
    void variantNames() {
        assertEquals("haswell", CpuPaths.variantName("libggml-cpu-haswell.so"));
        assertEquals("sapphirerapids", CpuPaths.variantName("libggml-cpu-sapphirerapids.so"));
        assertEquals("x64", CpuPaths.variantName("libggml-cpu-x64.so"));
    }

    @Test
    void cpuIdentityNamesTheCpu() {
        String id = CpuPaths.cpuIdentity();
        assertTrue(id.contains("flags") || id.contains("Features") || id.contains("no /proc/cpuinfo"), id);
    }
}
