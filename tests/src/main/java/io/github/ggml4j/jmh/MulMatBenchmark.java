package io.github.ggml4j.jmh;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.quantize.TensorQuantizer;
import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.testing.OpHarness;
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

import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * ggml's {@code mul_mat} of one weight matrix ({@code size × size}, TinyLlama's width by default) in each weight
 * type with an F32 activation of {@code rows} rows: 1 row is the decode shape (a matrix-vector product, memory
 * bound), 512 rows the prefill shape of one micro-batch (compute bound). The graph is built once; each
 * operation is one {@code ggml_backend_graph_compute} on the CPU backend, output neither poisoned nor read.
 *
 * <p>Run alone: {@code scripts/jmh.sh MulMatBenchmark -p type=Q4_K -p rows=1}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class MulMatBenchmark {

    @Param({"F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    public String type;

    @Param({"1", "512"})
    public int rows;

    @Param({"2048"})
    public int size;

    @Param({"2"})
    public int threads;

    private OpHarness harness;
    private MemorySegment out;

    @Setup(Level.Trial)
    public void build() {
        GgmlType t = GgmlType.valueOf(type);
        Random rnd = new Random(14);
        byte[] w = TensorQuantizer.quantize(t, Errors.gaussian(rnd, size * size, 0.02), size, size);
        float[] x = Errors.gaussian(rnd, size * rows, 1.0);
        harness = new OpHarness();
        MemorySegment wt = harness.raw(t, w, size, size);
        MemorySegment xt = harness.f32(x, size, rows);
        out = GgmlLib.ggml_mul_mat(harness.ctx(), wt, xt);
        harness.run(out, threads); // allocates and uploads outside the timed part
    }

    @TearDown(Level.Trial)
    public void close() {
        harness.close();
    }

    @Benchmark
    public void mulMat() {
        harness.run(out, threads);
    }
}
