package io.github.ggml4j.jmh;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.quantize.TensorQuantizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/** Quantizing one 4096 x 4096 F32 tensor with ggml's kernels, per type (the quantizer's inner loop). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class QuantizeBenchmark {

    @Param({"Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    public String type;

    private float[] data;

    @Setup
    public void setup() {
        Random r = new Random(4);
        data = new float[4096 * 4096];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (r.nextGaussian() * 0.02);
        }
    }

    @Benchmark
    public int quantize4096x4096() {
        return TensorQuantizer.quantize(GgmlType.valueOf(type), data, 4096, 4096).length;
    }
}
