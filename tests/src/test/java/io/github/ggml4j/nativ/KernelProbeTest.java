package io.github.ggml4j.nativ;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real probe executable in child processes, with injected failures: each is blamed on the right buffer
 * type, and never takes this JVM down.
 */
class KernelProbeTest {

    private static Path exe() {
        return KernelProbeChildJvmTest.probeExe();
    }

    /** The first extra buffer type that passes the real probe (an injected fault must be the only one). */
    private static String firstBuft() {
        ProbeVerdict v = KernelProbe.probe(exe(), null, "native", 120);
        return v.bufts().stream().filter(ProbeVerdict.Buft::usable).findFirst().map(ProbeVerdict.Buft::name)
                .orElseThrow(() -> new AssertionError("no usable extra buffer type to inject into: " + v));
    }

    /**
     * One run checks every type at every shape. A buffer type this machine's CPU really fails (AMX crashes the
     * pinned ggml on some Xeons) is skipped, as the probe's own re-run skips it.
     */
    @Test
    void realRunChecksEveryAcceptedTypeAtEveryShape() {
        ProbeVerdict verdict = KernelProbe.probe(exe(), null, "native", 120);
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(exe().toString()));
        java.util.List<String> broken = verdict.bufts().stream().filter(b -> !b.usable()).map(ProbeVerdict.Buft::name)
                .toList();
        if (!broken.isEmpty()) {
            cmd.add("--skip");
            cmd.add(String.join(",", broken));
        }
        ProbeRun run = KernelProbe.runOnce(cmd, 120, Map.of());
        assertTrue(run.complete(), run::toString);
        assertTrue(run.pending().isEmpty());
        for (String b : run.bufts()) {
            var types = run.results().stream().filter(r -> r.check().buft().equals(b)).map(r -> r.check().type())
                    .distinct().toList();
            for (String t : types) {
                long shapes = run.results().stream().filter(r -> r.check().buft().equals(b) && r.check().type().equals(t))
                        .map(r -> r.check().shape()).distinct().count();
                assertEquals(3, shapes, b + " " + t + " decode, prefill and batch");
                // every extra check has its plain reference, itself checked against float64
                assertTrue(run.results().stream().anyMatch(r -> r.check().buft().equals(KernelProbe.PLAIN)
                        && r.check().type().equals(t) && r.ok()), t);
            }
        }
    }

    @Test
    void injectedCrashIsBlamedOnItsBufferType() {
        String b = firstBuft();
        ProbeVerdict v = KernelProbe.probe(exe(), null, "native", 120, Map.of(CpuPaths.INJECT_ENV, "crash:" + b));
        assertTrue(v.usable(), "the plain path still passed: " + v);
        ProbeVerdict.Buft verdict = v.buft(b).orElseThrow();
        assertFalse(verdict.usable());
        assertTrue(verdict.reason().startsWith("crashed (SIGSEGV) in mul_mat "), verdict.reason());
        assertTrue(verdict.types().isEmpty());
        // the others were probed in the re-run and keep their own verdict (a type this CPU really crashes in
        // keeps that one)
        ProbeVerdict real = KernelProbe.probe(exe(), null, "native", 120);
        for (ProbeVerdict.Buft other : v.bufts()) {
            if (!other.name().equals(b)) {
                ProbeVerdict.Buft own = real.buft(other.name()).orElseThrow();
                assertEquals(own.usable(), other.usable(), other::toString);
                if (own.usable()) {
                    assertFalse(other.reason().contains("SIGSEGV"), other::toString);
                }
            }
        }
    }

    @Test
    void injectedWrongResultFailsTheComparison() {
        String b = firstBuft();
        ProbeVerdict v = KernelProbe.probe(exe(), null, "native", 120, Map.of(CpuPaths.INJECT_ENV, "wrong:" + b));
        ProbeVerdict.Buft verdict = v.buft(b).orElseThrow();
        assertFalse(verdict.usable());
        assertTrue(verdict.reason().startsWith("wrong result in mul_mat "), verdict.reason());
    }

    @Test
    void injectedHangIsKilledAtTheTimeLimit() {
        String b = firstBuft();
        long t0 = System.nanoTime();
        ProbeVerdict v = KernelProbe.probe(exe(), null, "native", 3, Map.of(CpuPaths.INJECT_ENV, "hang:" + b));
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        ProbeVerdict.Buft verdict = v.buft(b).orElseThrow();
        assertFalse(verdict.usable());
        assertTrue(verdict.reason().startsWith("timed out after 3 s in mul_mat "), verdict.reason());
        assertTrue(seconds < 30, "took " + seconds + " s");
    }

    /** A crash in the plain path is the variant's: it is unusable, and no extra buffer type is judged on it. */
    @Test
    void crashInThePlainPathMakesTheVariantUnusable() {
        ProbeVerdict v = KernelProbe.probe(exe(), null, "native", 120, Map.of(CpuPaths.INJECT_ENV, "crash:CPU"));
        assertFalse(v.usable());
        assertTrue(v.reason().contains("crashed (SIGSEGV) in plain CPU mul_mat"), v.reason());
        assertTrue(v.bufts().stream().noneMatch(ProbeVerdict.Buft::usable), v::toString);
    }

    @Test
    void wrongPlainResultMakesTheVariantUnusable() {
        ProbeVerdict v = KernelProbe.probe(exe(), null, "native", 120, Map.of(CpuPaths.INJECT_ENV, "wrong:CPU"));
        assertFalse(v.usable());
        assertTrue(v.reason().startsWith("plain CPU mul_mat "), v.reason());
    }

    @Test
    void missingExecutableIsAVerdictNotAnException() {
        ProbeVerdict v = KernelProbe.probe(Path.of("/nonexistent/ggml4j-probe"), null, "native", 5);
        assertFalse(v.usable());
        assertTrue(v.reason().contains("could not be started"), v.reason());
    }
}
