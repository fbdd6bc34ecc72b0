package io.github.ggml4j.jmh;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.testing.SyntheticLlama;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Time to first token of a new session whose prompt is a 512-token prefix another session already holds plus
 * 16 new tokens ({@code cached}: the prefix's cells are shared, only 16 tokens are computed), against the same
 * prompt with a different first token ({@code uncached}: all 528 are computed). Point
 * {@code -Dggml4j.bench.model=FILE} at a TinyLlama-shaped file for realistic figures.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 4)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class PrefixCacheBenchmark {

    @Param({"512"})
    public int prefix;

    @Param({"2"})
    public int threads;

    private Model model;
    private Session holder;
    private int[] cachedPrompt;
    private int[] uncachedPrompt;

    @Setup(Level.Trial)
    public void load() {
        String explicit = System.getProperty("ggml4j.bench.model");
        Path file = explicit != null ? Path.of(explicit)
                : SyntheticLlama.llama(512, 4, 8, 2, 1536).withTypes(GgmlType.Q4_0).cached();
        model = Model.load(file, ModelOptions.defaults().withThreads(threads).withContextSize(4096).withCachedPrompts(0));
        int[] p = new int[prefix];
        for (int i = 0; i < prefix; i++) {
            p[i] = 100 + (i * 37) % 20000;
        }
        holder = model.newSession(SessionOptions.defaults().withContextSize(prefix + 64));
        holder.evaluate(p);
        cachedPrompt = Arrays.copyOf(p, prefix + 16);
        for (int i = 0; i < 16; i++) {
            cachedPrompt[prefix + i] = 5000 + i;
        }
        uncachedPrompt = cachedPrompt.clone();
        uncachedPrompt[0] = 7;
    }

    @TearDown(Level.Trial)
    public void close() {
        holder.close();
        model.close();
    }

    private float firstToken(int[] prompt) {
        try (Session s = model.newSession(SessionOptions.defaults().withContextSize(prefix + 64))) {
            s.evaluate(prompt);
            return s.logitsView().get(0);
        }
    }

    @Benchmark
    public float cached() {
        return firstToken(cachedPrompt);
    }

    @Benchmark
    public float uncached() {
        return firstToken(uncachedPrompt);
    }
}
