package io.github.ggml4j.jmh;

import io.github.ggml4j.bench.BenchOptions;
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
 * One decode step and one 512-token prefill of a whole model, with llama-bench's settings (micro-batch 512,
 * flash attention, the model's threads), so {@code scripts/perf.sh} can set them against llama-bench's
 * {@code tg} and {@code pp512} on the same file. The model is {@code -Dggml4j.bench.model=FILE} (e.g. a
 * TinyLlama-shaped file from {@code SyntheticLlama tinyllama Q4_0 FILE}) or else {@link #defaultModel()}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class ModelBenchmark {

    /** Tokens of the prefill benchmark and of llama-bench's matching {@code pp} test. */
    public static final int PREFILL = 512;
    /** Decode steps per context before it is cleared, like llama-bench's {@code tg128}. */
    public static final int DECODE_SPAN = 128;

    @Param({"2"})
    public int threads;

    private Model model;
    private Session session;
    private int[] prompt;
    private int next;

    /** The model file: {@code ggml4j.bench.model} or the default synthetic one. */
    public static Path modelFile() {
        String explicit = System.getProperty("ggml4j.bench.model");
        return explicit != null ? Path.of(explicit) : defaultModel();
    }

    /** 512 wide, 4 blocks, GQA 8:2, Q4_0: small enough for 2 cores, big enough that ggml's work dominates. */
    public static Path defaultModel() {
        return SyntheticLlama.llama(512, 4, 8, 2, 1536).withTypes(GgmlType.Q4_0).cached();
    }

    /** The settings both runtimes use. */
    public static BenchOptions benchOptions(int threads, int genTokens, int repetitions) {
        return new BenchOptions(PREFILL, genTokens, repetitions, threads, 512, true);
    }

    @Setup(Level.Trial)
    public void load() {
        BenchOptions o = benchOptions(threads, DECODE_SPAN, 1);
        model = Model.load(modelFile(), io.github.ggml4j.bench.Benchmark.modelOptions(
                ModelOptions.defaults().withContextSize(PREFILL + DECODE_SPAN), o));
        session = model.newSession(SessionOptions.defaults().withContextSize(PREFILL + DECODE_SPAN));
        prompt = new int[PREFILL];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(14);
        int vocab = model.info().hyperParameters().vocabularySize();
        for (int i = 0; i < PREFILL; i++) {
            prompt[i] = rnd.nextInt(vocab);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        session.close();
        model.close();
    }

    /** One token through the whole model at a depth of 0 to 127, reusing the graph. */
    @Benchmark
    public float decodeStep() {
        if (session.position() >= DECODE_SPAN) {
            session.clear();
        }
        session.evaluate(prompt[next++ & (PREFILL - 1)]);
        return session.logitsView().get(0);
    }

    /** A 512-token prompt in one micro-batch into an empty context, logits of the last token only. */
    @Benchmark
    public float prefill512() {
        session.clear();
        session.evaluate(prompt);
        return session.logitsView().get(0);
    }
}
