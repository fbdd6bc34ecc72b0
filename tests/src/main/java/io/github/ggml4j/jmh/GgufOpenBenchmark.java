package io.github.ggml4j.jmh;

import io.github.ggml4j.gguf.GgufFile;
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
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Opening a GGUF file: map, parse and validate the header, metadata and tensor table, then close.
 * {@code model} is the model file of {@link ModelBenchmark} (a tensor table, little metadata);
 * {@code vocab-llama-bpe} is llama.cpp's 128k-token vocabulary file (large string arrays, no tensors).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class GgufOpenBenchmark {

    @Param({"model", "vocab-llama-bpe"})
    public String file;

    private Path path;

    @Setup(Level.Trial)
    public void resolve() {
        path = file.equals("model") ? ModelBenchmark.modelFile()
                : SyntheticLlama.vocabPath(file.substring("vocab-".length()));
    }

    @Benchmark
    public int open() {
        try (GgufFile f = GgufFile.open(path)) {
            return f.tensors().size() + f.metadata().size();
        }
    }
}
