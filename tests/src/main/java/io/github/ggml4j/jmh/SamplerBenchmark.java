package io.github.ggml4j.jmh;

import io.github.ggml4j.sampling.SamplerChain;
import io.github.ggml4j.sampling.SamplingOptions;
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

/**
 * Cost of choosing one token from logits of a 32k and a 128k vocabulary, read where generation reads them (a
 * direct buffer, as a sequence's last logits lie in native memory): the default chain (penalties, top-k 40,
 * top-p 0.95, min-p 0.05, temperature, draw), the chain with DRY, and each sampler alone (with the draw over
 * what it leaves).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class SamplerBenchmark {

    @Param({"32000", "128256"})
    public int vocab;

    @Param({"chain", "chainDry", "topK", "topP", "minP", "temperature", "penalties", "typical", "dry", "xtc",
            "mirostat"})
    public String sampler;

    private java.nio.FloatBuffer logits;
    private SamplerChain chain;

    @Setup
    public void setup() {
        Random r = new Random(1);
        logits = java.nio.ByteBuffer.allocateDirect(4 * vocab).order(java.nio.ByteOrder.nativeOrder())
                .asFloatBuffer();
        for (int i = 0; i < vocab; i++) {
            logits.put(i, (float) (r.nextGaussian() * 3));
        }
        SamplingOptions off = new SamplingOptions(1.0f, 0, 1.0f, 0.0f, 1.0f, 0, 1.0f, 0, 0, 1, java.util.Map.of());
        SamplingOptions o = switch (sampler) {
            case "chain" -> SamplingOptions.defaults().withPenalties(64, 1.1f, 0.1f, 0.1f);
            case "topK" -> off.withTopK(40);
            case "topP" -> off.withTopP(0.95f);
            case "minP" -> off.withMinP(0.05f);
            case "temperature" -> off.withTemperature(0.8f);
            case "penalties" -> off.withPenalties(64, 1.1f, 0.1f, 0.1f);
            case "typical" -> off.withTypicalP(0.9f);
            case "chainDry" -> SamplingOptions.defaults().withPenalties(64, 1.1f, 0.1f, 0.1f)
                    .withDry(io.github.ggml4j.sampling.DryOptions.DEFAULTS.withMultiplier(0.8f));
            case "dry" -> off.withDry(io.github.ggml4j.sampling.DryOptions.DEFAULTS.withMultiplier(0.8f));
            case "xtc" -> off.withXtc(0.5f, 0.1f);
            case "mirostat" -> off.withMirostat(2, 5.0f, 0.1f);
            default -> throw new IllegalArgumentException(sampler);
        };
        chain = SamplerChain.of(o);
        for (int i = 0; i < 64; i++) {
            chain.accept(i % 3 == 0 ? r.nextInt(vocab) : i % 8); // some repeats, for the penalties and DRY
        }
    }

    @Benchmark
    public int sample() {
        return chain.sample(logits);
    }
}
