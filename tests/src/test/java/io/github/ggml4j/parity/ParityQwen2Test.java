package io.github.ggml4j.parity;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.testing.SyntheticLlama;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ggml4j against llama.cpp on a synthetic Qwen2 file: NeoX RoPE, QKV biases, tied head and the real Qwen2
 * vocabulary (~152k tokens). Narrow (256 wide, 4 heads, 2 KV heads) and Q8_0 so the file stays small.
 */
class ParityQwen2Test {

    static final SyntheticLlama SPEC = SyntheticLlama.qwen2(256, 4, 4, 2, 768).withTypes(GgmlType.Q8_0).withStd(0.05);
    static final int N_PREDICT = 32;
    static final int[] PROMPT = Parity.prompt(20, 11);

    static Path file;

    @BeforeAll
    static void load() {
        file = SPEC.cached();
    }

    @ParameterizedTest(name = "flashAttention={0}")
    @ValueSource(booleans = {false, true})
    void logitsAndGreedyMatchLlamaCpp(boolean fa) {
        LlamaCpp.Result ref = LlamaCpp.run(file, PROMPT, N_PREDICT, Parity.CTX, 512, fa);
        Parity.Ggml4jResult got = Parity.run(file, Parity.options(fa), PROMPT, N_PREDICT);
        assertEquals(SPEC.nVocab(), ref.logits().length, "llama.cpp's n_vocab");
        assertEquals(ref.logits().length, got.logits().length, "n_vocab");
        double nmse = Errors.nmse(ref.logits(), got.logits());
        System.out.println("parity qwen2 Q8_0 fa=" + (fa ? 1 : 0) + ": logits NMSE " + Parity.fmt(nmse)
                + ", llama.cpp greedy " + Arrays.toString(ref.generated()));
        assertTrue(nmse <= 1e-3, "NMSE " + nmse + "; " + Errors.worst(Errors.toDouble(ref.logits()), got.logits()));
        Parity.assertGreedyAgrees(ref.generated(), got.generation(), "qwen2 fa=" + fa);
    }
}
