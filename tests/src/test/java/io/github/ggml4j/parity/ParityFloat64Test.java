package io.github.ggml4j.parity;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.KvCacheType;
import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.testing.ReferenceLlama;
import io.github.ggml4j.testing.SyntheticLlama;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ggml4j against {@link ReferenceLlama}, a float64 forward pass that shares no code with ggml, on tiny F32
 * models (2 blocks × 64 wide, GQA 4:2 and MQA 4:1) with an F32 KV cache, so nothing is rounded below float32
 * anywhere. This catches what a comparison with llama.cpp cannot: a mistake both would share.
 *
 * <p>Bound: every op runs in float32, so each carries a relative error of about sqrt(n)·2^-24 for a length-n
 * reduction (n ≤ 192 here), ~1e-6, an NMSE of ~1e-12 per op; summed over a few dozen ops and the RoPE angles
 * (float32 powers of the base) that is ~1e-12 to 1e-11 (measured: 5e-14 to 5e-13). The bound 1e-10 leaves a
 * hundredfold margin and still catches small defects: on the llama model a RoPE base of 10001 instead of 10000
 * moves the logits by an NMSE of 5e-10, an RMSNorm epsilon of 1e-6 instead of 1e-5 by 1e-6, an attention scale
 * off by 0.1% by 8e-7, NeoX instead of normal RoPE pairing by 0.6.
 */
class ParityFloat64Test {

    static final double BOUND = 1e-10;
    static final int[] PROMPT = Parity.prompt(20, 3);
    static final int N_PREDICT = 16;

    static Stream<Arguments> cases() {
        SyntheticLlama llama = Parity.TINY;
        // Qwen2's graph (NeoX RoPE, QKV biases, tied head, base 1e6), here with one KV head (MQA); the small
        // vocabulary keeps the reference quick
        SyntheticLlama qwen2 = SyntheticLlama.qwen2(64, 2, 4, 1, 192).withVocab("llama-spm").withStd(0.1).withSeed(6);
        return Stream.of(Arguments.of(llama, false), Arguments.of(llama, true),
                Arguments.of(qwen2, false), Arguments.of(qwen2, true));
    }

    @ParameterizedTest(name = "{0} flashAttention={1}")
    @MethodSource("cases")
    void matchesFloat64Reference(SyntheticLlama spec, boolean fa) {
        Path file = spec.cached();
        Map<String, float[]> weights = SyntheticLlama.readWeights(file);
        ReferenceLlama ref = new ReferenceLlama(spec.referenceConfig(), weights);
        double[] expected = ref.lastLogits(PROMPT);
        int[] expectedTokens = ref.greedy(PROMPT, N_PREDICT);

        Parity.Ggml4jResult got = Parity.run(file, Parity.options(fa).withKvCacheType(KvCacheType.F32), PROMPT,
                N_PREDICT);
        double nmse = Errors.nmse(expected, got.logits());
        System.out.println("float64 reference " + spec.arch() + " fa=" + (fa ? 1 : 0) + ": logits NMSE "
                + Parity.fmt(nmse) + ", greedy " + Arrays.toString(expectedTokens));
        assertTrue(nmse <= BOUND, spec.arch() + ": NMSE " + nmse + "; " + Errors.worst(expected, got.logits()));
        assertArrayEquals(expectedTokens, got.generation().tokens(), spec.arch() + ": greedy tokens");
    }

    /**
     * The rounding a KV cache type adds, against the float64 reference. Expected from the formats: F16 keeps 11
     * bits (NMSE ~1e-6 here); Q8_0 rounds K, V and (for the dot product) Q to steps of max/127 per block of 32,
     * an NMSE of ~3e-5 per value that the sharp attention of this model raises to ~2e-4; Q4_0's steps of max/7
     * are ~300 times coarser. A wrong cache layout gives an NMSE near 1.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"f16", "q8_0", "q4_0"})
    void kvCacheTypes(String kvType) {
        // 32-wide heads: a quantized cache stores whole blocks of 32 per head
        SyntheticLlama spec = SyntheticLlama.llama(128, 2, 4, 2, 256).withStd(0.1).withSeed(8);
        Path file = spec.cached();
        double[] expected = new ReferenceLlama(spec.referenceConfig(), SyntheticLlama.readWeights(file))
                .lastLogits(PROMPT);
        float[] got = Parity.run(file, Parity.options(true).withKvCacheType(KvCacheType.of(kvType)), PROMPT, 1).logits();
        double nmse = Errors.nmse(expected, got);
        System.out.println("float64 reference, " + kvType + " KV cache: logits NMSE " + Parity.fmt(nmse));
        double bound = switch (kvType) {
            case "f16" -> 1e-5;
            case "q8_0" -> 2e-3;
            default -> 0.2;
        };
        assertTrue(nmse <= bound, kvType + ": NMSE " + nmse);
    }
}
