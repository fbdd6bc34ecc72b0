package io.github.ggml4j.perf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The regression rule (> 10 % slower and confidence intervals apart), file reading, the command and the chart. */
class PerfCheckTest {

    private static PerfEntry avgt(String name, double score, double error) {
        return new PerfEntry(name, "avgt", score, error, "us/op", Double.NaN, "");
    }

    private static PerfCheck.Status status(PerfEntry cur, PerfEntry base) {
        return PerfCheck.compare(cur, base, PerfCheck.THRESHOLD).status();
    }

    @Test
    void equalScoresAreOk() {
        PerfEntry e = avgt("a", 100, 2);
        PerfCheck.Row r = PerfCheck.compare(e, e, PerfCheck.THRESHOLD);
        assertEquals(PerfCheck.Status.OK, r.status());
        assertEquals(1.0, r.speedRatio(), 1e-12);
    }

    @Test
    void slowerBeyondThresholdAndIntervalsIsARegression() {
        assertEquals(PerfCheck.Status.REGRESSION, status(avgt("a", 120, 2), avgt("a", 100, 2)));
        assertEquals(1 / 1.2, PerfCheck.compare(avgt("a", 120, 2), avgt("a", 100, 2), 0.1).speedRatio(), 1e-12);
    }

    @Test
    void slowerButOverlappingIntervalsIsNoiseNotARegression() {
        // 20 % slower, but 120 - 15 = 105 < 100 + 10: the intervals touch
        assertEquals(PerfCheck.Status.SLOWER_NOISE, status(avgt("a", 120, 15), avgt("a", 100, 10)));
    }

    @Test
    void slowerWithinThresholdIsOkEvenWithDisjointIntervals() {
        assertEquals(PerfCheck.Status.OK, status(avgt("a", 109, 0.1), avgt("a", 100, 0.1)));
    }

    @Test
    void thresholdBoundaryIsNotARegression() {
        assertEquals(PerfCheck.Status.OK, status(avgt("a", 110, 0), avgt("a", 100, 0)));
        assertEquals(PerfCheck.Status.REGRESSION, status(avgt("a", 110.5, 0), avgt("a", 100, 0)));
    }

    @Test
    void unknownErrorCountsAsZeroWidth() {
        assertEquals(PerfCheck.Status.REGRESSION, status(avgt("a", 150, Double.NaN), avgt("a", 100, Double.NaN)));
    }

    @Test
    void fasterIsReportedNotFlagged() {
        assertEquals(PerfCheck.Status.FASTER, status(avgt("a", 50, 1), avgt("a", 100, 1)));
    }

    @Test
    void throughputLowerIsSlower() {
        PerfEntry base = new PerfEntry("t", "thrpt", 1000, 10, "tok/s", Double.NaN, "");
        PerfEntry lower = new PerfEntry("t", "thrpt", 800, 10, "tok/s", Double.NaN, "");
        PerfEntry higher = new PerfEntry("t", "thrpt", 1300, 10, "tok/s", Double.NaN, "");
        assertEquals(PerfCheck.Status.REGRESSION, status(lower, base));
        assertEquals(0.8, PerfCheck.compare(lower, base, 0.1).speedRatio(), 1e-12);
        assertEquals(PerfCheck.Status.FASTER, status(higher, base));
        assertEquals(PerfCheck.Status.REGRESSION, status(base.slowedBy(1.5), base));
    }

    @Test
    void unitsAreNormalized() {
        PerfEntry ms = new PerfEntry("a", "avgt", 0.1, 0.001, "ms/op", Double.NaN, "");
        assertEquals(PerfCheck.Status.OK, status(avgt("a", 100, 1), ms));
        assertEquals(PerfCheck.Status.REGRESSION, status(avgt("a", 130, 1), ms));
        PerfEntry perMs = new PerfEntry("t", "thrpt", 1, 0.01, "ops/ms", Double.NaN, "");
        PerfEntry perS = new PerfEntry("t", "thrpt", 1000, 10, "ops/s", Double.NaN, "");
        assertEquals(PerfCheck.Status.OK, status(perS, perMs));
    }

    @Test
    void mismatchedModesAreRejected() {
        PerfEntry t = new PerfEntry("a", "thrpt", 100, 1, "ops/s", Double.NaN, "");
        assertThrows(IllegalArgumentException.class, () -> status(t, avgt("a", 100, 1)));
    }

    @Test
    void entriesAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> avgt("a", 0, 1));
        assertThrows(IllegalArgumentException.class, () -> avgt("a", Double.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> avgt("a", 1, -1));
        assertThrows(IllegalArgumentException.class, () -> new PerfEntry("a", "avgt", 1, 0, "parsecs", Double.NaN, ""));
        assertThrows(IllegalArgumentException.class, () -> new PerfEntry("a", "nope", 1, 0, "us/op", Double.NaN, ""));
        assertThrows(IllegalArgumentException.class, () -> new PerfResults(Map.of(), List.of(avgt("a", 1, 0), avgt("a", 2, 0))));
    }

    @Test
    void newAndMissingBenchmarksAreListedNotFlagged() {
        PerfResults cur = new PerfResults(Map.of(), List.of(avgt("a", 100, 1), avgt("b", 100, 1)));
        PerfResults base = new PerfResults(Map.of(), List.of(avgt("a", 100, 1), avgt("c", 100, 1)));
        List<PerfCheck.Row> rows = PerfCheck.compare(cur, base, 0.1);
        assertEquals(List.of(PerfCheck.Status.OK, PerfCheck.Status.NEW, PerfCheck.Status.MISSING),
                rows.stream().map(PerfCheck.Row::status).toList());
    }

    static final String JMH_JSON = """
            [
              {
                "jmhVersion": "1.37", "benchmark": "io.github.ggml4j.jmh.MulMatBenchmark.mulMat", "mode": "avgt",
                "threads": 1, "forks": 1, "params": {"type": "Q4_0", "rows": "1"},
                "primaryMetric": {"score": 512.5, "scoreError": "NaN", "scoreConfidence": ["NaN", "NaN"],
                  "scoreUnit": "us/op", "rawData": [[510.0, 515.0]]},
                "secondaryMetrics": {}
              },
              {
                "benchmark": "io.github.ggml4j.jmh.GgufOpenBenchmark.open", "mode": "thrpt",
                "primaryMetric": {"score": 2.5E3, "scoreError": 12.25, "scoreUnit": "ops/s"}
              }
            ]
            """;

    @Test
    void readsJmhJson() {
        PerfResults r = PerfResults.parse(JMH_JSON);
        assertEquals(List.of("MulMatBenchmark.mulMat rows=1 type=Q4_0", "GgufOpenBenchmark.open"),
                r.entries().stream().map(PerfEntry::name).toList());
        PerfEntry m = r.entries().get(0);
        assertEquals(512.5, m.score());
        assertTrue(Double.isNaN(m.error()));
        assertEquals(12.25, r.entries().get(1).error());
        assertTrue(r.entries().get(1).higherIsBetter());
    }

    @Test
    void perfJsonRoundTrips() {
        PerfResults r = new PerfResults(Map.of("mode", "short"), List.of(
                new PerfEntry("ModelBenchmark.decodeStep threads=2", "avgt", 1234.5678, Double.NaN, "us/op", 0.987, "810 t/s"),
                new PerfEntry("LlamaBench.pp512 runtime=llama.cpp", "thrpt", 570.25, 3.5, "tok/s", Double.NaN, "")));
        PerfResults back = PerfResults.parse(r.toJson());
        assertEquals("short", back.info().get("mode"));
        assertEquals(2, back.entries().size());
        PerfEntry d = back.entries().get(0);
        assertEquals(1234.57, d.score(), 1e-9);
        assertEquals(0.987, d.llamaRatio(), 1e-9);
        assertEquals("810 t/s", d.derived());
        assertTrue(Double.isNaN(d.error()));
        assertThrows(IllegalArgumentException.class, () -> PerfResults.parse("{\"mode\": 1}"));
    }

    /** The CI part of the verdict: two synthetic files, an equal one passes, a deliberately slowed one fails. */
    @Test
    void commandFlagsTheSlowedFileOnlyAndWritesTheChart(@TempDir Path dir) throws Exception {
        PerfResults base = new PerfResults(Map.of(), List.of(
                new PerfEntry("MulMatBenchmark.mulMat rows=1 type=Q4_0", "avgt", 300, 6, "us/op", Double.NaN, ""),
                new PerfEntry("ModelBenchmark.decodeStep threads=2", "avgt", 2000, 40, "us/op", 0.95, "500 t/s"),
                new PerfEntry("LlamaBench.tg32 runtime=ggml4j", "thrpt", 500, 10, "tok/s", 1.02, "")));
        Path baseFile = dir.resolve("base.json");
        base.write(baseFile);
        Path equal = dir.resolve("equal.json");
        base.write(equal);
        // copying the logits twice, say: one benchmark 30 % slower
        PerfResults slowed = new PerfResults(Map.of(), base.entries().stream()
                .map(e -> e.name().startsWith("ModelBenchmark") ? e.slowedBy(1.3) : e).toList());
        Path slowFile = dir.resolve("slowed.json");
        slowed.write(slowFile);
        Path svg = dir.resolve("chart.svg");

        assertEquals(0, PerfCheck.run(equal.toString(), baseFile.toString()));
        assertEquals(1, PerfCheck.run(slowFile.toString(), baseFile.toString(), "--svg", svg.toString()));
        assertEquals(0, PerfCheck.run(slowFile.toString(), baseFile.toString(), "--report-only"));
        assertEquals(0, PerfCheck.run(slowFile.toString(), baseFile.toString(), "--threshold", "0.5"));
        assertEquals(2, PerfCheck.run(dir.resolve("absent.json").toString(), baseFile.toString()));
        assertEquals(2, PerfCheck.run(equal.toString()));

        List<PerfCheck.Row> rows = PerfCheck.compare(slowed, base, 0.1);
        assertEquals(List.of(PerfCheck.Status.OK, PerfCheck.Status.REGRESSION, PerfCheck.Status.OK),
                rows.stream().map(PerfCheck.Row::status).toList());
        assertTrue(PerfCheck.table(rows).contains("| ModelBenchmark.decodeStep threads=2 |"));

        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile());
        assertEquals("svg", doc.getDocumentElement().getNodeName());
        String text = Files.readString(svg);
        assertTrue(text.contains("#cc3311\"><title>0.769"), "the regression's bar is red, at 1/1.3");
        assertTrue(text.contains("ModelBenchmark.decodeStep threads=2 [REGRESSION]"));
        // 3 baseline bars + 2 llama.cpp bars (the mul_mat has no counterpart) + 3 legend boxes + background
        assertEquals(9, doc.getElementsByTagName("rect").getLength());
    }

    @Test
    void chartEscapesNames() {
        PerfEntry e = avgt("a<b>&\"c\"", 1, 0);
        String svg = RatioChart.svg(PerfCheck.compare(new PerfResults(Map.of(), List.of(e)),
                new PerfResults(Map.of(), List.of(e)), 0.1));
        assertTrue(svg.contains("a&lt;b&gt;&amp;&quot;c&quot;"));
    }
}
