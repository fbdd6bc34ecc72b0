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
import java.util.concurrent.TimeUnit;

/**
 * Regression benchmarks of the Java side of a forward pass: one decode step and a 128-token prompt on a
 * synthetic model (by default 512 wide × 4 blocks, so Java's per-token overhead is a visible share of the
 * time). Point {@code -Dggml4j.bench.model=FILE} at a bigger model to measure ggml's kernels instead.
 *
 * <p>Run: {@code scripts/jmh.sh} (or {@code java -cp "tests/target/classes:tests/target/lib/*"
 * org.openjdk.jmh.Main DecodeBenchmark}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class DecodeBenchmark {

    @Param({"Q8_0", "Q4_0"})
    public String type;

    @Param({"2"})
    public int threads;

    private Model model;
    private Session session;
    private int[] prompt;
    private int next;

    @Setup(Level.Trial)
    public void load() {
        String explicit = System.getProperty("ggml4j.bench.model");
        Path file = explicit != null ? Path.of(explicit)
                : SyntheticLlama.llama(512, 4, 8, 2, 1536).withTypes(GgmlType.valueOf(type)).cached();
        model = Model.load(file, ModelOptions.defaults().withThreads(threads).withContextSize(1024).withCachedPrompts(0));
        session = model.newSession(SessionOptions.defaults().withContextSize(1024));
        prompt = new int[128];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = 100 + i;
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        session.close();
        model.close();
    }

    /** One token through the whole model, reusing the graph: the steady state of generation. */
    @Benchmark
    public float decodeStep() {
        if (session.position() >= session.contextSize() - 1) {
            session.clear();
        }
        session.evaluate(100 + (next++ & 1023));
        return session.logitsView().get(0);
    }

    /** A 128-token prompt in one micro-batch, logits of the last token only. */
    @Benchmark
    public float prompt128() {
        session.clear();
        session.evaluate(prompt);
        return session.logitsView().get(0);
    }
}
