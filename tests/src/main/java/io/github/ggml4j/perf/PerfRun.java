package io.github.ggml4j.perf;

import io.github.ggml4j.bench.BenchOptions;
import io.github.ggml4j.bench.BenchResult;
import io.github.ggml4j.bench.Benchmark;
import io.github.ggml4j.jmh.ModelBenchmark;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.nativ.NativeLoader;
import org.apache.commons.math3.distribution.TDistribution;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One perf run: the JMH suite ({@link PerfSuite}), then ggml4j's and llama-bench's {@code pp512}/{@code tg}
 * on the model file of {@link ModelBenchmark}, all in one go. Writes to the output folder {@code jmh.json}
 * (JMH's own), {@code perf.json} (every benchmark with its llama.cpp ratio, and the comparison table),
 * {@code report.md} (the table) and, with a baseline, {@code chart.svg}. It never fails on timing: the
 * verdict is {@link PerfCheck}'s.
 *
 * <p>Command: {@code PerfRun [--mode short|full] [--out DIR] [--threads N] [--baseline FILE] [--include REGEX]...
 * [--gen N] [--reps N] [--no-compare]}; {@code scripts/perf.sh} runs it.
 *
 * {@snippet :
 * PerfResults r = PerfRun.run(PerfRun.Options.defaults(PerfRun.Mode.SHORT, Path.of("target/perf/run1")));
 * }
 */
public final class PerfRun {

    /**
     * {@code SHORT}: 1 fork, 1 warm-up and 3 measurement iterations of 0.4 s, llama-bench {@code tg32} × 3 (CI
     * smoke; 3 iterations so JMH reports an error, which at that count is wide); {@code FULL}: 2 + 5 of 1 s,
     * {@code tg128} × 5.
     */
    public enum Mode {
        SHORT(1, 3, 400, 32, 3),
        FULL(2, 5, 1000, 128, 5);

        final int warmups;
        final int iterations;
        final int millis;
        final int genTokens;
        final int repetitions;

        Mode(int warmups, int iterations, int millis, int genTokens, int repetitions) {
            this.warmups = warmups;
            this.iterations = iterations;
            this.millis = millis;
            this.genTokens = genTokens;
            this.repetitions = repetitions;
        }
    }

    /**
     * @param includes    JMH include regexes; empty for the whole {@link PerfSuite}
     * @param compare     whether to run the llama-bench comparison (needs llama.cpp's reference tools)
     * @param baseline    a results file to report against, or null
     * @param genTokens   generated tokens of the comparison's {@code tg} test
     * @param repetitions repetitions of the comparison's tests
     * @param iterationMillis length of each JMH iteration (the mode's by default)
     */
    public record Options(Mode mode, Path out, int threads, List<String> includes, boolean compare, Path baseline,
                          int genTokens, int repetitions, int iterationMillis) {
        public Options {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(out, "out");
            includes = List.copyOf(includes);
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            }
            if (genTokens < 1 || repetitions < 1) {
                throw new IllegalArgumentException("gen tokens and repetitions must be >= 1");
            }
            if (iterationMillis < 10) {
                throw new IllegalArgumentException("iterations must be >= 10 ms, got " + iterationMillis);
            }
        }

        public static Options defaults(Mode mode, Path out) {
            return new Options(mode, out, DEFAULT_THREADS, List.of(), true, null, mode.genTokens, mode.repetitions,
                    mode.millis);
        }
    }

    /**
     * Threads of every benchmark and of both runtimes in the comparison: 1 by default, because on a shared
     * 2-core machine a 2-thread ggml graph waits at every op's barrier for a descheduled worker (measured here:
     * a decode step of the default model took 3.5 ms on 1 thread, 16 to 500 ms on 2 threads under a load
     * of 5 to 8), so 2-thread figures measure the scheduler. Pass {@code --threads 2} on a quiet machine.
     */
    public static final int DEFAULT_THREADS = 1;

    private PerfRun() {
    }

    public static PerfResults run(Options o) {
        Path model = ModelBenchmark.modelFile().toAbsolutePath();
        Path jmhJson = o.out().resolve("jmh.json");
        try {
            Files.createDirectories(o.out());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        runJmh(o, model, jmhJson);
        Map<String, Double> llama = new LinkedHashMap<>();
        List<PerfEntry> entries = new ArrayList<>();
        List<Object> table = new ArrayList<>();
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("mode", o.mode().name().toLowerCase(Locale.ROOT));
        info.put("created", Instant.now().toString());
        info.put("threads", o.threads());
        info.put("model", model.getFileName().toString());
        info.put("modelBytes", model.toFile().length());
        info.put("cores", Runtime.getRuntime().availableProcessors());
        info.put("loadAverage", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        info.put("java", Runtime.version().toString());
        if (o.compare()) {
            compare(o, model, entries, table, llama);
        }
        List<PerfEntry> all = new ArrayList<>();
        for (PerfEntry e : PerfResults.read(jmhJson).entries()) {
            all.add(PerfSuite.annotate(e, llama));
        }
        all.addAll(entries);
        info.put("llamaBench", table);
        PerfResults results = new PerfResults(info, all);
        results.write(o.out().resolve("perf.json"));
        PerfResults base = o.baseline() != null ? PerfResults.read(o.baseline()) : new PerfResults(Map.of(), List.of());
        List<PerfCheck.Row> rows = PerfCheck.compare(results, base, PerfCheck.THRESHOLD);
        String report = "# ggml4j perf run (" + info.get("mode") + ", " + o.threads() + " threads, load "
                + String.format(Locale.ROOT, "%.2f", (double) info.get("loadAverage")) + ")\n\n"
                + "baseline: " + (o.baseline() != null ? o.baseline() : "none") + "\n\n" + PerfCheck.table(rows);
        try {
            Files.writeString(o.out().resolve("report.md"), report);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        PerfCheck.writeChart(o.out().resolve("chart.svg"), rows, PerfCheck.THRESHOLD);
        System.out.println();
        System.out.print(report);
        System.out.println("\nfiles: " + o.out().toAbsolutePath() + "/{jmh.json,perf.json,report.md,chart.svg}");
        return results;
    }

    private static void runJmh(Options o, Path model, Path jmhJson) {
        ChainedOptionsBuilder b = new OptionsBuilder();
        for (String inc : o.includes().isEmpty() ? PerfSuite.includes() : o.includes()) {
            b.include(inc);
        }
        b.forks(1)
                .warmupIterations(o.mode().warmups).warmupTime(TimeValue.milliseconds(o.iterationMillis()))
                .measurementIterations(o.mode().iterations).measurementTime(TimeValue.milliseconds(o.iterationMillis()))
                .param("threads", Integer.toString(o.threads()))
                .jvmArgsAppend(forkArgs(model))
                .shouldFailOnError(true)
                .resultFormat(ResultFormatType.JSON).result(jmhJson.toString());
        try {
            if (new Runner(b.build()).run().isEmpty()) {
                throw new IllegalStateException("JMH ran no benchmark for " + o.includes());
            }
        } catch (RunnerException e) {
            throw new IllegalStateException("JMH failed: " + e.getMessage(), e);
        }
    }

    /** The forks' JVM flags: native access, the model, and this JVM's ggml4j properties (surefire sets them late). */
    private static String[] forkArgs(Path model) {
        List<String> a = new ArrayList<>(List.of("--enable-native-access=ALL-UNNAMED", "-Dggml4j.bench.model=" + model));
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith("ggml4j.") && !key.equals("ggml4j.bench.model")) {
                a.add("-D" + key + "=" + System.getProperty(key));
            }
        }
        return a.toArray(String[]::new);
    }

    /** ggml4j's Benchmark and llama-bench with the same settings on the same file. */
    private static void compare(Options o, Path model, List<PerfEntry> entries, List<Object> table,
                                Map<String, Double> llama) {
        Path tools = NativeLoader.ensureLoaded().referenceBinDir().orElseThrow(() -> new IllegalStateException(
                "the llama-bench comparison needs llama.cpp's reference tools (build with -DGGML4J_REFERENCE=ON) "
                        + "or --no-compare"));
        BenchOptions bo = ModelBenchmark.benchOptions(o.threads(), o.genTokens(), o.repetitions());
        List<BenchResult> ours;
        try (Model m = Model.load(model, Benchmark.modelOptions(ModelOptions.defaults(), bo))) {
            ours = Benchmark.run(m, bo);
        }
        List<ReferenceBench.Result> ref = ReferenceBench.run(tools, model, bo);
        for (ReferenceBench.Result r : ref) {
            llama.put(r.test(), r.tokensPerSecond());
        }
        for (BenchResult r : ours) {
            ReferenceBench.Result x = ref.stream().filter(t -> t.test().equals(r.test())).findFirst()
                    .orElseThrow(() -> new IllegalStateException("llama-bench did not run " + r.test()));
            double ratio = r.tokensPerSecond() / x.tokensPerSecond();
            entries.add(new PerfEntry("LlamaBench." + r.test() + " runtime=ggml4j", "thrpt", r.tokensPerSecond(),
                    halfWidth(r.stddev(), r.repetitions()), "tok/s", ratio, ""));
            entries.add(new PerfEntry("LlamaBench." + r.test() + " runtime=llama.cpp", "thrpt", x.tokensPerSecond(),
                    halfWidth(x.stddev(), x.repetitions()), "tok/s", Double.NaN, ""));
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("test", r.test());
            row.put("ggml4j", r.tokensPerSecond());
            row.put("ggml4jStddev", r.stddev());
            row.put("llamaCpp", x.tokensPerSecond());
            row.put("llamaCppStddev", x.stddev());
            row.put("ratio", ratio);
            table.add(row);
        }
    }

    /** Half-width of the 99.9 % confidence interval of a mean of {@code n} samples (as JMH's scoreError). */
    static double halfWidth(double stddev, int n) {
        if (n <= 2 || !(stddev >= 0)) { // as JMH: no error from two samples
            return Double.NaN;
        }
        return new TDistribution(n - 1).inverseCumulativeProbability(0.9995) * stddev / Math.sqrt(n);
    }

    public static void main(String[] args) {
        try {
            run(parse(args));
            System.exit(0);
        } catch (IllegalArgumentException e) {
            System.err.println("perf: " + e.getMessage());
            System.exit(2);
        } catch (RuntimeException e) {
            System.err.println("perf: " + e);
            System.exit(1);
        }
    }

    static Options parse(String... args) {
        Mode mode = Mode.SHORT;
        Path out = null;
        int threads = DEFAULT_THREADS;
        List<String> includes = new ArrayList<>();
        boolean compare = true;
        Path baseline = null;
        Integer gen = null;
        Integer reps = null;
        Integer millis = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--mode" -> mode = Mode.valueOf(value(args, ++i).toUpperCase(Locale.ROOT));
                case "--out" -> out = Path.of(value(args, ++i));
                case "--threads" -> threads = Integer.parseInt(value(args, ++i));
                case "--include" -> includes.add(value(args, ++i));
                case "--baseline" -> baseline = Path.of(value(args, ++i));
                case "--gen" -> gen = Integer.parseInt(value(args, ++i));
                case "--reps" -> reps = Integer.parseInt(value(args, ++i));
                case "--iteration-ms" -> millis = Integer.parseInt(value(args, ++i));
                case "--no-compare" -> compare = false;
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        if (out == null) {
            throw new IllegalArgumentException("--out DIR is required");
        }
        return new Options(mode, out, threads, includes, compare, baseline, gen != null ? gen : mode.genTokens,
                reps != null ? reps : mode.repetitions, millis != null ? millis : mode.millis);
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }
}
