package io.github.ggml4j.perf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CI's part of the perf suite: one tiny JMH benchmark in short mode through the real runner (a forked JVM with
 * the native-access flags), the llama-bench comparison on the same file, every output file written, and the
 * checker run on the result. Timing decides nothing here: the only verdicts asserted are an equal file (not
 * flagged) and a copy made ten times slower with its errors dropped (flagged).
 */
class PerfSmokeTest {

    @Test
    void shortModeRunsAndWritesTheFiles(@TempDir Path dir) {
        Path out = dir.resolve("run");
        PerfRun.Options o = PerfRun.parse("--mode", "short", "--out", out.toString(), "--include",
                "GgufOpenBenchmark\\.open", "--iteration-ms", "100", "--gen", "4", "--reps", "1");
        PerfResults r = PerfRun.run(o);

        for (String f : List.of("jmh.json", "perf.json", "report.md", "chart.svg")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f + " written");
        }
        PerfResults back = PerfResults.read(out.resolve("perf.json"));
        assertEquals(r.entries().size(), back.entries().size());
        assertEquals("short", back.info().get("mode"));
        assertEquals(2, PerfResults.read(out.resolve("jmh.json")).entries().size(), "both files of GgufOpenBenchmark");
        List<String> names = back.entries().stream().map(PerfEntry::name).toList();
        assertTrue(names.contains("GgufOpenBenchmark.open file=model"), names.toString());
        assertTrue(names.contains("LlamaBench.pp512 runtime=ggml4j"), names.toString());
        assertTrue(names.contains("LlamaBench.tg4 runtime=llama.cpp"), names.toString());
        PerfEntry pp = back.entry("LlamaBench.pp512 runtime=ggml4j").orElseThrow();
        assertTrue(pp.llamaRatio() > 0 && Double.isFinite(pp.llamaRatio()), "ratio to llama.cpp: " + pp.llamaRatio());

        Path perf = out.resolve("perf.json");
        assertEquals(0, PerfCheck.run(perf.toString(), perf.toString()), "a run is no regression of itself");
        Path slowed = dir.resolve("slowed.json");
        new PerfResults(Map.of(), back.entries().stream()
                .map(e -> new PerfEntry(e.name(), e.mode(), e.score(), Double.NaN, e.unit(), e.llamaRatio(), ""))
                .map(e -> e.slowedBy(10)).toList()).write(slowed);
        assertEquals(1, PerfCheck.run(slowed.toString(), perf.toString(), "--svg", dir.resolve("c.svg").toString()));
    }
}
