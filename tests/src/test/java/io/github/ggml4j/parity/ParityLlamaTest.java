package io.github.ggml4j.parity;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.testing.SyntheticLlama;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ggml4j against llama.cpp (ggml4j-ref over libllama) on the same synthetic Llama files: 4 blocks × 512 wide,
 * GQA 8:2, FFN 1536, the llama-spm vocabulary (32000 tokens), in five weight types, with flash attention on and
 * off. Both run the same ggml kernels, so differences come only from how the graphs are put together.
 */
class ParityLlamaTest {

    static final int N_PREDICT = 32;
    static final int[] PROMPT = withBos(Parity.prompt(19, 7));

    /**
     * By block-matrix type. F32/F16 tie the head to the embeddings (keeps those files small); the 4-bit types
     * take 8-bit or Q6_K embeddings and head, as llama.cpp's own mixes do.
     */
    static final Map<GgmlType, SyntheticLlama> SPECS = new EnumMap<>(GgmlType.class);

    static {
        SyntheticLlama base = Parity.LLAMA_512;
        SPECS.put(GgmlType.F32, base.withTypes(GgmlType.F32).withTiedOutput(true));
        SPECS.put(GgmlType.F16, base.withTypes(GgmlType.F16).withTiedOutput(true));
        SPECS.put(GgmlType.Q8_0, base.withTypes(GgmlType.Q8_0));
        SPECS.put(GgmlType.Q4_0, base.withTypes(GgmlType.Q4_0).withEmbdType(GgmlType.Q8_0));
        SPECS.put(GgmlType.Q4_K, base.withTypes(GgmlType.Q4_K).withEmbdType(GgmlType.Q6_K));
    }

    static final Map<GgmlType, Path> FILES = new EnumMap<>(GgmlType.class);
    static final Map<String, LlamaCpp.Result> REFERENCE = new TreeMap<>();
    static final List<String> REPORT = new ArrayList<>();

    @BeforeAll
    static void load() {
        for (Map.Entry<GgmlType, SyntheticLlama> e : SPECS.entrySet()) {
            Path file = e.getValue().cached();
            FILES.put(e.getKey(), file);
            for (boolean fa : new boolean[] {false, true}) {
                REFERENCE.put(key(e.getKey(), fa), LlamaCpp.run(file, PROMPT, N_PREDICT, Parity.CTX, 512, fa));
            }
            // for scale: llama.cpp's own two attention paths differ by about this much
            REPORT.add("llama.cpp fa=0 vs fa=1 " + e.getKey() + ": logits NMSE " + Parity.fmt(Errors.nmse(
                    REFERENCE.get(key(e.getKey(), false)).logits(), REFERENCE.get(key(e.getKey(), true)).logits())));
        }
    }

    @AfterAll
    static void close() {
        REPORT.forEach(System.out::println);
    }

    static int[] withBos(int[] p) {
        int[] out = new int[p.length + 1];
        out[0] = 1;
        System.arraycopy(p, 0, out, 1, p.length);
        return out;
    }

    static String key(GgmlType t, boolean fa) {
        return t + (fa ? " fa=1" : " fa=0");
    }

    static Stream<Arguments> cases() {
        return SPECS.keySet().stream().flatMap(t -> Stream.of(Arguments.of(t, false), Arguments.of(t, true)));
    }

    /** Bounds: float types differ only in summation order; quantized ones also in activation rounding. */
    static double bound(GgmlType t) {
        return t == GgmlType.F32 || t == GgmlType.F16 ? 1e-5 : 1e-3;
    }

    @ParameterizedTest(name = "{0} flashAttention={1}")
    @MethodSource("cases")
    void logitsAndGreedyMatchLlamaCpp(GgmlType type, boolean fa) {
        LlamaCpp.Result ref = REFERENCE.get(key(type, fa));
        Parity.Ggml4jResult got = Parity.run(FILES.get(type), Parity.options(fa), PROMPT, N_PREDICT);
        assertEquals(ref.logits().length, got.logits().length, "n_vocab");
        double nmse = Errors.nmse(ref.logits(), got.logits());
        REPORT.add("parity llama " + key(type, fa) + ": logits NMSE " + Parity.fmt(nmse) + ", llama.cpp greedy "
                + Arrays.toString(ref.generated()));
        assertTrue(nmse <= bound(type), key(type, fa) + ": NMSE " + nmse + " > " + bound(type) + "; "
                + Errors.worst(Errors.toDouble(ref.logits()), got.logits()));
        Parity.assertGreedyAgrees(ref.generated(), got.generation(), key(type, fa));
    }
}
