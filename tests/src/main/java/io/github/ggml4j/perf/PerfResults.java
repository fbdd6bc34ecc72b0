package io.github.ggml4j.perf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The figures of one perf run ({@code perf.json}): every benchmark as a {@link PerfEntry}, plus free-form facts
 * about the run (mode, machine, model file, the llama-bench comparison). {@link #read} also accepts JMH's own
 * {@code -rf json} output, so the checker can compare any two JMH runs.
 *
 * {@snippet :
 * PerfResults current = PerfResults.read(Path.of("tests/target/perf/latest/perf.json"));
 * PerfResults baseline = PerfResults.read(Path.of("tests/perf/baseline.json"));
 * }
 */
public record PerfResults(Map<String, Object> info, List<PerfEntry> entries) {

    /** Format version written as {@code "schema"}. */
    public static final int SCHEMA = 1;

    public PerfResults {
        info = new LinkedHashMap<>(Objects.requireNonNull(info, "info"));
        entries = List.copyOf(entries);
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (PerfEntry e : entries) {
            if (!seen.add(e.name())) {
                throw new IllegalArgumentException("benchmark " + e.name() + " appears twice");
            }
        }
    }

    public Optional<PerfEntry> entry(String name) {
        return entries.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    /** Reads a perf.json or a JMH JSON result file. @throws IllegalArgumentException if it is neither */
    public static PerfResults read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    public static PerfResults parse(String text) {
        Object root = Json.parse(text);
        if (root instanceof List<?>) {
            return new PerfResults(Map.of("source", "jmh"), fromJmh(Json.array(root)));
        }
        Map<String, Object> o = Json.object(root);
        if (!o.containsKey("benchmarks")) {
            throw new IllegalArgumentException("no \"benchmarks\" array: not a perf results file");
        }
        List<PerfEntry> entries = new ArrayList<>();
        for (Object b : Json.array(o.get("benchmarks"))) {
            entries.add(PerfEntry.fromJson(Json.object(b)));
        }
        Map<String, Object> info = new LinkedHashMap<>(o);
        info.remove("benchmarks");
        return new PerfResults(info, entries);
    }

    /** The entries of JMH's JSON output, named {@code Class.method k=v ...} (parameters sorted by name). */
    public static List<PerfEntry> fromJmh(List<Object> runs) {
        List<PerfEntry> out = new ArrayList<>();
        for (Object r : runs) {
            Map<String, Object> run = Json.object(r);
            String full = Json.string(run.get("benchmark"));
            int method = full.lastIndexOf('.');
            int cls = full.lastIndexOf('.', method - 1);
            StringBuilder name = new StringBuilder(full.substring(cls + 1));
            Object params = run.get("params");
            if (params != null) {
                new TreeMap<>(Json.object(params)).forEach((k, v) -> name.append(' ').append(k).append('=').append(v));
            }
            Map<String, Object> metric = Json.object(run.get("primaryMetric"));
            out.add(new PerfEntry(name.toString(), Json.string(run.get("mode")), Json.number(metric.get("score")),
                    Json.number(metric.get("scoreError")), Json.string(metric.get("scoreUnit")), Double.NaN, ""));
        }
        return out;
    }

    public String toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema", SCHEMA);
        root.putAll(info);
        List<Object> list = new ArrayList<>();
        for (PerfEntry e : entries) {
            list.add(e.toJson());
        }
        root.put("benchmarks", list);
        return Json.write(root);
    }

    public void write(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path tmp = Files.createTempFile(parent, ".perf", ".json");
            Files.writeString(tmp, toJson());
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
