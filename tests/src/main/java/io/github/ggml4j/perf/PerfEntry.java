package io.github.ggml4j.perf;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One benchmark's figure in a perf results file.
 *
 * @param name       unique id: JMH's short benchmark name and its parameters, e.g.
 *                   {@code MulMatBenchmark.mulMat rows=1 size=2048 threads=2 type=Q4_0}
 * @param mode       JMH's mode: {@code avgt}, {@code sample}, {@code ss} (time per operation, lower is better) or
 *                   {@code thrpt} (operations per time, higher is better)
 * @param score      the score, in {@code unit}
 * @param error      half-width of the score's 99.9 % confidence interval (JMH's {@code scoreError}); NaN when
 *                   not known (fewer than two iterations), treated as 0
 * @param unit       {@code ns/op}, {@code us/op}, {@code ms/op}, {@code s/op}, or their inverses for
 *                   {@code thrpt} ({@code ops/s} ...)
 * @param llamaRatio speed of ggml4j over llama.cpp's on the same work in the same run (above 1: ggml4j is
 *                   faster); NaN when there is no counterpart
 * @param derived    a human figure derived from the score ({@code 61.2 MB/s}, {@code 180 t/s}), or empty
 */
public record PerfEntry(String name, String mode, double score, double error, String unit, double llamaRatio,
                        String derived) {

    public PerfEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(derived, "derived");
        if (name.isBlank()) {
            throw new IllegalArgumentException("blank benchmark name");
        }
        if (!(score > 0) || Double.isInfinite(score)) {
            throw new IllegalArgumentException(name + ": score must be positive and finite, got " + score);
        }
        if (error < 0 || Double.isInfinite(error)) {
            throw new IllegalArgumentException(name + ": error must be >= 0 or NaN, got " + error);
        }
        if (!higherIsBetter(mode) && !mode.equals("avgt") && !mode.equals("sample") && !mode.equals("ss")) {
            throw new IllegalArgumentException(name + ": unknown mode " + mode);
        }
        unitSeconds(unit, mode); // validates
    }

    /** Whether a bigger score is better (throughput). */
    public boolean higherIsBetter() {
        return higherIsBetter(mode);
    }

    private static boolean higherIsBetter(String mode) {
        return mode.equals("thrpt");
    }

    /** The error, 0 when unknown. */
    public double errorOrZero() {
        return Double.isNaN(error) ? 0 : error;
    }

    /**
     * Seconds per operation at {@code score} (time modes) or operations per second (throughput): the score
     * in a unit that two files can share.
     */
    public double normalized(double value) {
        double f = unitSeconds(unit, mode);
        return higherIsBetter() ? value / f : value * f;
    }

    /** The time unit's length in seconds, from {@code us/op} or {@code ops/us}. */
    static double unitSeconds(String unit, String mode) {
        String u;
        if (mode.equals("thrpt")) {
            int slash = unit.indexOf('/');
            if (slash < 0) {
                throw new IllegalArgumentException("throughput unit without /: " + unit);
            }
            u = unit.substring(slash + 1);
        } else {
            if (!unit.endsWith("/op")) {
                throw new IllegalArgumentException("time unit must end in /op: " + unit);
            }
            u = unit.substring(0, unit.length() - 3);
        }
        return switch (u) {
            case "ns" -> 1e-9;
            case "us" -> 1e-6;
            case "ms" -> 1e-3;
            case "s" -> 1;
            case "min" -> 60;
            default -> throw new IllegalArgumentException("unknown time unit " + unit);
        };
    }

    public PerfEntry withLlamaRatio(double r) {
        return new PerfEntry(name, mode, score, error, unit, r, derived);
    }

    public PerfEntry withDerived(String d) {
        return new PerfEntry(name, mode, score, error, unit, llamaRatio, d);
    }

    /** A copy {@code factor} times slower (time scaled up, throughput down), error scaled alike. */
    public PerfEntry slowedBy(double factor) {
        return higherIsBetter() ? new PerfEntry(name, mode, score / factor, error / factor, unit, llamaRatio, derived)
                : new PerfEntry(name, mode, score * factor, error * factor, unit, llamaRatio, derived);
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("mode", mode);
        m.put("score", score);
        m.put("scoreError", error);
        m.put("unit", unit);
        m.put("llamaRatio", llamaRatio);
        m.put("derived", derived);
        return m;
    }

    static PerfEntry fromJson(Map<String, Object> m) {
        Object derived = m.get("derived");
        return new PerfEntry(Json.string(m.get("name")), Json.string(m.get("mode")), Json.number(m.get("score")),
                Json.number(m.get("scoreError")), Json.string(m.get("unit")), Json.number(m.get("llamaRatio")),
                derived == null ? "" : Json.string(derived));
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s %.4g ± %.2g %s", name, score, error, unit);
    }
}
