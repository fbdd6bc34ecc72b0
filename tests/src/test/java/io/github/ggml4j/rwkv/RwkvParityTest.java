package io.github.ggml4j.rwkv;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.parity.LlamaCpp;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.testing.SyntheticRwkv;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ggml4j against llama.cpp (ggml4j-ref over libllama) on synthetic RWKV-6 and RWKV-7 files: the last prompt
 * position's logits (NMSE ≤ 1e-5 for F32 weights, ≤ 1e-3 for Q8_0) and 32 greedy tokens, token for token.
 */
class RwkvParityTest {

    static final int N_PREDICT = 32;

    @ParameterizedTest(name = "rwkv{0} {1}")
    @CsvSource({"6, F32, 1e-5", "6, Q8_0, 1e-3", "7, F32, 1e-5", "7, Q8_0, 1e-3"})
    void logitsAndGreedyMatchLlamaCpp(int version, GgmlType type, double bound) {
        SyntheticRwkv spec = RwkvModels.of(version, type);
        Path file = spec.cached();
        int[] prompt = RwkvModels.prompt(24, version * 10L + type.ordinal());
        LlamaCpp.Result ref = LlamaCpp.run(file, prompt, N_PREDICT, 512, 512, false);
        try (Model model = Model.load(file, RwkvModels.options())) {
            Parity.Ggml4jResult got = Parity.run(model, prompt, N_PREDICT);
            assertEquals(4096, ref.logits().length, "llama.cpp's n_vocab");
            assertEquals(ref.logits().length, got.logits().length, "n_vocab");
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (float f : ref.logits()) {
                min = Math.min(min, f);
                max = Math.max(max, f);
            }
            assertTrue(max - min > 1, "llama.cpp's logits are nearly flat (" + min + " .. " + max + "): a vacuous model");
            double nmse = Errors.nmse(ref.logits(), got.logits());
            System.out.println("parity rwkv" + version + " " + type + ": logits NMSE " + Parity.fmt(nmse)
                    + ", llama.cpp greedy " + Arrays.toString(ref.generated()));
            assertTrue(nmse <= bound, "NMSE " + nmse + "; " + Errors.worst(Errors.toDouble(ref.logits()), got.logits()));
            int agree = Parity.assertGreedyAgrees(ref.generated(), got.generation(), "rwkv" + version + " " + type);
            assertTrue(agree >= Math.min(N_PREDICT, ref.generated().length) - 1, "only " + agree + " tokens compared");
        }
    }
}
