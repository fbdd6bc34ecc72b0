package io.github.ggml4j.perf;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Derived figures, the llama.cpp counterparts of the model benchmarks, include patterns, option parsing. */
class PerfSuiteTest {

    private static PerfEntry avgt(String name, double us) {
        return new PerfEntry(name, "avgt", us, 1, "us/op", Double.NaN, "");
    }

    @Test
    void decodeStepIsSetAgainstLlamaBenchTg() {
        PerfEntry e = PerfSuite.annotate(avgt("ModelBenchmark.decodeStep threads=2", 5000),
                Map.of("pp512", 1000.0, "tg128", 250.0));
        assertEquals("200.0 t/s", e.derived());
        assertEquals(0.8, e.llamaRatio(), 1e-12);
    }

    @Test
    void prefillIsSetAgainstPp512() {
        PerfEntry e = PerfSuite.annotate(avgt("ModelBenchmark.prefill512 threads=2", 512_000),
                Map.of("pp512", 800.0, "tg32", 250.0));
        assertEquals("1000.0 t/s", e.derived());
        assertEquals(1.25, e.llamaRatio(), 1e-12);
    }

    @Test
    void withoutAComparisonThereIsNoRatio() {
        PerfEntry e = PerfSuite.annotate(avgt("ModelBenchmark.prefill512 threads=2", 512_000), Map.of());
        assertTrue(Double.isNaN(e.llamaRatio()));
    }

    @Test
    void tokenizerAndMulMatGetThroughputs() {
        assertEquals("65.54 MB/s", PerfSuite.annotate(avgt("TokenizerBenchmark.encode bytes=65536 vocab=gpt-2", 1000),
                Map.of()).derived());
        // 2 * 2048^2 * 512 FLOP in 0.1 s
        assertEquals("42.9 GFLOP/s", PerfSuite.annotate(
                avgt("MulMatBenchmark.mulMat rows=512 size=2048 threads=2 type=F16", 100_000), Map.of()).derived());
        assertTrue(Double.isNaN(PerfSuite.annotate(avgt("MulMatBenchmark.mulMat rows=1 size=2048 threads=2 type=F16",
                10), Map.of("pp512", 1.0)).llamaRatio()), "mul_mat has no llama.cpp counterpart here");
    }

    @Test
    void includesMatchTheSuiteOnly() {
        assertEquals(PerfSuite.BENCHMARKS.size(), PerfSuite.includes().size());
        Pattern p = Pattern.compile(PerfSuite.includes().get(0));
        assertTrue(p.matcher("io.github.ggml4j.jmh.MulMatBenchmark.mulMat").find());
        assertFalse(PerfSuite.includes().stream().anyMatch(i ->
                Pattern.compile(i).matcher("io.github.ggml4j.jmh.DecodeBenchmark.decodeStep").find()));
    }

    @Test
    void optionsAreParsedAndValidated() {
        PerfRun.Options o = PerfRun.parse("--mode", "full", "--out", "x", "--threads", "4");
        assertEquals(PerfRun.Mode.FULL, o.mode());
        assertEquals(Path.of("x"), o.out());
        assertEquals(4, o.threads());
        assertEquals(128, o.genTokens());
        assertTrue(o.compare());
        assertEquals(PerfRun.DEFAULT_THREADS, PerfRun.parse("--out", "x").threads());
        assertFalse(PerfRun.parse("--out", "x", "--no-compare").compare());
        assertThrows(IllegalArgumentException.class, () -> PerfRun.parse("--mode", "short"));
        assertThrows(IllegalArgumentException.class, () -> PerfRun.parse("--out", "x", "--threads", "0"));
        assertThrows(IllegalArgumentException.class, () -> PerfRun.parse("--out", "x", "--mode", "medium"));
        assertThrows(IllegalArgumentException.class, () -> PerfRun.parse("--out", "x", "--bogus"));
        assertThrows(IllegalArgumentException.class, () -> PerfRun.parse("--out"));
        assertThrows(IllegalArgumentException.class, () -> PerfRun.parse("--out", "x", "--iteration-ms", "1"));
    }

    @Test
    void confidenceHalfWidthMatchesStudentT() {
        // t(0.9995, 4) = 8.610
        assertEquals(8.610 * 2 / Math.sqrt(5), PerfRun.halfWidth(2, 5), 1e-3);
        assertTrue(Double.isNaN(PerfRun.halfWidth(2, 2)));
    }
}
