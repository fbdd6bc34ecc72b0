package io.github.ggml4j.perf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Compares a perf run with a baseline and flags regressions: a benchmark regressed when it is more than the
 * threshold (10 %) slower <em>and</em> the two scores' confidence intervals ({@code score ± scoreError}) do not
 * overlap. Slower within the noise is reported as {@code slower?}, never as a regression.
 *
 * <p>Command: {@code PerfCheck CURRENT BASELINE [--threshold 0.10] [--svg FILE] [--report-only]}, each file a
 * {@code perf.json} or a JMH JSON file. Prints one table (speed current / baseline, ggml4j / llama.cpp), writes
 * the chart, and exits 1 when something regressed (0 with {@code --report-only}), 2 on bad input.
 *
 * {@snippet :
 * List<PerfCheck.Row> rows = PerfCheck.compare(current, baseline, 0.10);
 * boolean bad = rows.stream().anyMatch(r -> r.status() == PerfCheck.Status.REGRESSION);
 * }
 */
public final class PerfCheck {

    /** Default threshold: 10 % slower. */
    public static final double THRESHOLD = 0.10;

    public enum Status {
        /** More than the threshold slower, confidence intervals apart. */
        REGRESSION("REGRESSION"),
        /** More than the threshold slower, but the intervals overlap: noise until shown otherwise. */
        SLOWER_NOISE("slower?"),
        OK("ok"),
        /** More than the threshold faster, intervals apart. */
        FASTER("faster"),
        /** Not in the baseline. */
        NEW("new"),
        /** In the baseline only. */
        MISSING("missing");

        private final String label;

        Status(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * One benchmark of the comparison.
     *
     * @param speedRatio baseline time / current time (below 1: slower now); NaN without both entries
     */
    public record Row(String name, PerfEntry current, PerfEntry baseline, double speedRatio, Status status) {
    }

    private PerfCheck() {
    }

    /** Compares one benchmark of two runs. */
    public static Row compare(PerfEntry cur, PerfEntry base, double threshold) {
        if (!(threshold >= 0)) {
            throw new IllegalArgumentException("threshold must be >= 0, got " + threshold);
        }
        if (cur.higherIsBetter() != base.higherIsBetter()) {
            throw new IllegalArgumentException(cur.name() + ": mode " + cur.mode() + " vs baseline " + base.mode());
        }
        double c = cur.normalized(cur.score());
        double b = base.normalized(base.score());
        double cLo = cur.normalized(cur.score() - cur.errorOrZero());
        double cHi = cur.normalized(cur.score() + cur.errorOrZero());
        double bLo = base.normalized(base.score() - base.errorOrZero());
        double bHi = base.normalized(base.score() + base.errorOrZero());
        boolean apart = cLo > bHi || bLo > cHi;
        // time ratio current / baseline: above 1 is slower
        double slowdown = cur.higherIsBetter() ? b / c : c / b;
        Status s;
        if (slowdown > 1 + threshold) {
            s = apart ? Status.REGRESSION : Status.SLOWER_NOISE;
        } else if (slowdown < 1 / (1 + threshold) && apart) {
            s = Status.FASTER;
        } else {
            s = Status.OK;
        }
        return new Row(cur.name(), cur, base, 1 / slowdown, s);
    }

    /** Every benchmark of either run, in the current run's order, then those only the baseline has. */
    public static List<Row> compare(PerfResults current, PerfResults baseline, double threshold) {
        List<Row> rows = new ArrayList<>();
        for (PerfEntry e : current.entries()) {
            rows.add(baseline.entry(e.name()).map(b -> compare(e, b, threshold))
                    .orElse(new Row(e.name(), e, null, Double.NaN, Status.NEW)));
        }
        for (PerfEntry b : baseline.entries()) {
            if (current.entry(b.name()).isEmpty()) {
                rows.add(new Row(b.name(), null, b, Double.NaN, Status.MISSING));
            }
        }
        return rows;
    }

    /** The rows as a Markdown table. */
    public static String table(List<Row> rows) {
        StringBuilder t = new StringBuilder();
        t.append("| benchmark | current | baseline | speed cur/base | ggml4j/llama.cpp | verdict |\n");
        t.append("| --- | ---: | ---: | ---: | ---: | --- |\n");
        for (Row r : rows) {
            t.append("| ").append(r.name()).append(" | ").append(figure(r.current())).append(" | ")
                    .append(figure(r.baseline())).append(" | ").append(ratio(r.speedRatio())).append(" | ")
                    .append(ratio(r.current() != null ? r.current().llamaRatio() : Double.NaN)).append(" | ")
                    .append(r.status().label()).append(" |\n");
        }
        return t.toString();
    }

    static String figure(PerfEntry e) {
        if (e == null) {
            return "-";
        }
        String s = String.format(Locale.ROOT, "%.4g ± %s %s", e.score(),
                Double.isNaN(e.error()) ? "?" : String.format(Locale.ROOT, "%.2g", e.error()), e.unit());
        return e.derived().isEmpty() ? s : s + " (" + e.derived() + ")";
    }

    static String ratio(double r) {
        return Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%.3f", r);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** The command; returns the exit status. */
    public static int run(String... args) {
        List<String> files = new ArrayList<>();
        double threshold = THRESHOLD;
        Path svg = null;
        boolean reportOnly = false;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--threshold" -> threshold = Double.parseDouble(value(args, ++i));
                    case "--svg" -> svg = Path.of(value(args, ++i));
                    case "--report-only" -> reportOnly = true;
                    default -> {
                        if (args[i].startsWith("-")) {
                            throw new IllegalArgumentException("unknown option " + args[i]);
                        }
                        files.add(args[i]);
                    }
                }
            }
            if (files.size() != 2) {
                throw new IllegalArgumentException("usage: PerfCheck CURRENT BASELINE [--threshold 0.10] [--svg FILE] [--report-only]");
            }
            PerfResults cur = PerfResults.read(Path.of(files.get(0)));
            PerfResults base = PerfResults.read(Path.of(files.get(1)));
            List<Row> rows = compare(cur, base, threshold);
            System.out.println("current:  " + describe(cur));
            System.out.println("baseline: " + describe(base));
            if (!String.valueOf(cur.info().get("mode")).equals(String.valueOf(base.info().get("mode")))) {
                System.out.println("note: the runs used different modes; short-mode errors are wide, so few rows can be flagged");
            }
            System.out.println();
            System.out.print(table(rows));
            if (svg != null) {
                writeChart(svg, rows, threshold);
                System.out.println("chart: " + svg);
            }
            long bad = rows.stream().filter(r -> r.status() == Status.REGRESSION).count();
            System.out.printf(Locale.ROOT, "%d regression(s) (> %.0f %% slower, confidence intervals apart)%n", bad,
                    threshold * 100);
            return bad > 0 && !reportOnly ? 1 : 0;
        } catch (IllegalArgumentException | UncheckedIOException e) {
            System.err.println("perf check: " + e.getMessage());
            return 2;
        }
    }

    /** Mode, date and load average of a run, where its file says. */
    static String describe(PerfResults r) {
        Object load = r.info().get("loadAverage");
        return String.format(Locale.ROOT, "mode %s, %s, load average %s, %d benchmarks", r.info().getOrDefault("mode", "?"),
                r.info().getOrDefault("created", "?"), load instanceof Number n ? String.format(Locale.ROOT, "%.2f",
                        n.doubleValue()) : "?", r.entries().size());
    }

    static void writeChart(Path svg, List<Row> rows, double threshold) {
        try {
            Path parent = svg.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Files.writeString(svg, RatioChart.svg(rows, threshold));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + svg, e);
        }
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }
}
