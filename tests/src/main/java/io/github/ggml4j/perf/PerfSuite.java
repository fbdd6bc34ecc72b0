package io.github.ggml4j.perf;

import io.github.ggml4j.jmh.GgufOpenBenchmark;
import io.github.ggml4j.jmh.QuantizeBenchmark;
import io.github.ggml4j.jmh.SamplerBenchmark;
import io.github.ggml4j.jmh.ModelBenchmark;
import io.github.ggml4j.jmh.MulMatBenchmark;
import io.github.ggml4j.jmh.TokenizerBenchmark;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the perf suite runs and how each benchmark's score is read.
 *
 * <p><b>Adding a benchmark</b> (quantization of a 4096×4096 tensor per type, the sampler chain at vocab 32k
 * and 128k, batching ...): write a JMH class in {@code io.github.ggml4j.jmh} like {@link MulMatBenchmark},
 * add it to {@link #BENCHMARKS}, and, when llama.cpp has a counterpart measured by {@link ReferenceBench} or a
 * human-readable figure, a case in {@link #annotate}. Then refresh the baseline ({@code scripts/perf.sh
 * baseline}); until then the new rows show as {@code new} and are never flagged.
 *
 * {@snippet :
 * List<String> includes = PerfSuite.includes(); // regexes for JMH's include()
 * }
 */
public final class PerfSuite {

    /** The JMH classes of the suite, in the order they run. */
    public static final List<Class<?>> BENCHMARKS = List.of(
            MulMatBenchmark.class,
            ModelBenchmark.class,
            TokenizerBenchmark.class,
            GgufOpenBenchmark.class,
            SamplerBenchmark.class,
            QuantizeBenchmark.class);

    private PerfSuite() {
    }

    /** JMH include patterns for {@link #BENCHMARKS}. */
    public static List<String> includes() {
        return BENCHMARKS.stream().map(c -> "^" + c.getName().replace(".", "\\.") + "\\.").toList();
    }

    /**
     * Adds the llama.cpp ratio and the derived figure to a JMH entry.
     *
     * @param llamaTokensPerSecond llama-bench's rates by test ({@code pp512}, {@code tg32} ...) on the model file
     *                             of {@link ModelBenchmark}, empty when not measured
     */
    public static PerfEntry annotate(PerfEntry e, Map<String, Double> llamaTokensPerSecond) {
        if (!e.mode().equals("avgt")) {
            return e;
        }
        double seconds = e.normalized(e.score());
        String n = e.name();
        if (n.startsWith("ModelBenchmark.decodeStep")) {
            double tps = 1 / seconds;
            PerfEntry d = e.withDerived(String.format(Locale.ROOT, "%.1f t/s", tps));
            return llamaTokensPerSecond.entrySet().stream().filter(x -> x.getKey().startsWith("tg")).findFirst()
                    .map(x -> d.withLlamaRatio(tps / x.getValue())).orElse(d);
        }
        if (n.startsWith("ModelBenchmark.prefill512")) {
            double tps = ModelBenchmark.PREFILL / seconds;
            PerfEntry d = e.withDerived(String.format(Locale.ROOT, "%.1f t/s", tps));
            Double ref = llamaTokensPerSecond.get("pp" + ModelBenchmark.PREFILL);
            return ref == null ? d : d.withLlamaRatio(tps / ref);
        }
        if (n.startsWith("TokenizerBenchmark.encode")) {
            int bytes = Integer.parseInt(param(n, "bytes"));
            return e.withDerived(String.format(Locale.ROOT, "%.2f MB/s", bytes / seconds / 1e6));
        }
        if (n.startsWith("MulMatBenchmark.mulMat")) {
            double size = Double.parseDouble(param(n, "size"));
            double rows = Double.parseDouble(param(n, "rows"));
            return e.withDerived(String.format(Locale.ROOT, "%.1f GFLOP/s", 2 * size * size * rows / seconds / 1e9));
        }
        return e;
    }

    /** The value of parameter {@code key} in an entry name ({@code Class.method k=v ...}). */
    static String param(String name, String key) {
        for (String part : name.split(" ")) {
            if (part.startsWith(key + "=")) {
                return part.substring(key.length() + 1);
            }
        }
        throw new IllegalArgumentException(name + " has no parameter " + key);
    }
}
