package io.github.ggml4j.cli;

import io.github.ggml4j.bench.BenchResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ggml4j bench}: llama-bench's table layout, {@code --compare}, and reading llama-bench's JSON. */
class BenchCommandTest {

    static Path model;

    @BeforeAll
    static void model() {
        model = CliModels.LLAMA_F32.cached();
    }

    /** The cells of a markdown table row, trimmed. */
    static List<String> cells(String row) {
        List<String> c = new ArrayList<>();
        for (String s : row.substring(1, row.length() - 1).split("\\|")) {
            c.add(s.strip());
        }
        return c;
    }

    /** Rows of the first table whose runtime column is {@code runtime}. */
    static List<List<String>> rows(String out, String runtime) {
        return out.lines().filter(l -> l.startsWith("| " + runtime + " ")).map(BenchCommandTest::cells).toList();
    }

    /** The mean of a "123.45 ± 6.78" cell. */
    static double mean(String cell) {
        return Double.parseDouble(cell.substring(0, cell.indexOf('±')).strip());
    }

    @Test
    void tinyRunPrintsLlamaBenchLayout() {
        Cli.Result r = Cli.run("bench", "-m", model.toString(), "-p", "16", "-n", "4", "-r", "1", "-t", "1");
        assertEquals(0, r.exit(), r.all());
        List<String> lines = r.out().lines().toList();
        assertEquals(List.of("runtime", "model", "size", "params", "backend", "threads", "test", "t/s"),
                cells(lines.get(0)), r.out());
        assertTrue(lines.get(1).matches("\\|[ :|-]+\\|"), lines.get(1));
        List<List<String>> rows = rows(r.out(), "ggml4j");
        assertEquals(2, rows.size(), r.out());
        assertEquals(List.of("pp16", "tg4"), rows.stream().map(c -> c.get(6)).toList(), r.out());
        for (List<String> row : rows) {
            assertTrue(row.get(1).startsWith("llama ") && row.get(1).endsWith(" F32"), row.toString());
            assertTrue(row.get(2).endsWith(" MiB"), row.toString());
            assertEquals("CPU", row.get(4));
            assertEquals("1", row.get(5));
            assertTrue(mean(row.get(7)) > 0, row.toString());
        }
        assertEquals(4, lines.size(), "no llama.cpp rows without --compare:\n" + r.out());
        assertAligned(lines);
    }

    /** Every line of a table has its column bars where the header has them. */
    static void assertAligned(List<String> table) {
        String bars = table.get(0).replaceAll("[^|]", " ");
        for (String line : table) {
            assertEquals(bars, line.replaceAll("[^|]", " "), "misaligned:\n" + String.join("\n", table));
        }
    }

    @Test
    void compareAddsLlamaCppRowsAndRatios() {
        Cli.Result r = Cli.run("bench", "-m", model.toString(), "-p", "16", "-n", "4", "-r", "1", "-t", "1",
                "--compare");
        assertEquals(0, r.exit(), r.all());
        List<List<String>> ours = rows(r.out(), "ggml4j");
        List<List<String>> theirs = rows(r.out(), "llama.cpp");
        assertEquals(List.of("pp16", "tg4"), ours.stream().map(c -> c.get(6)).toList(), r.out());
        assertEquals(List.of("pp16", "tg4"), theirs.stream().map(c -> c.get(6)).toList(), r.out());
        theirs.forEach(row -> assertTrue(mean(row.get(7)) > 0, row.toString()));
        // the ratio table: one row per test, ggml4j / llama.cpp computed from the two rates
        List<String> lines = r.out().lines().toList();
        int header = lines.indexOf("| test            |  ggml4j t/s | llama.cpp t/s | ggml4j/llama.cpp |");
        assertTrue(header > 0, r.out());
        for (int i = 0; i < 2; i++) {
            List<String> c = cells(lines.get(header + 2 + i));
            assertEquals(ours.get(i).get(6), c.get(0));
            double a = Double.parseDouble(c.get(1));
            double b = Double.parseDouble(c.get(2));
            assertTrue(a > 0 && b > 0, c.toString());
            assertEquals(a / b, Double.parseDouble(c.get(3)), 0.002 + 0.001 * a / b, c.toString());
        }
        assertEquals(header + 4, lines.size(), r.out());
        assertAligned(lines.subList(0, 6));
        assertAligned(lines.subList(header, header + 4));
    }

    @Test
    void parsesRealLlamaBenchJson() {
        String json = ReferenceTool.check(120, "llama-bench", "-m", model.toString(), "-p", "8", "-n", "2",
                "-r", "2", "-t", "1", "-o", "json").text();
        List<BenchResult> results = LlamaBench.parse(json);
        assertEquals(List.of("pp8", "tg2"), results.stream().map(BenchResult::test).toList(), json);
        assertEquals(8, results.get(0).tokens());
        assertEquals(2, results.get(1).tokens());
        for (BenchResult b : results) {
            assertEquals(2, b.repetitions(), b + "\n" + json);
            assertTrue(b.tokensPerSecond() > 0 && b.stddev() >= 0, b.toString());
        }
    }
}
