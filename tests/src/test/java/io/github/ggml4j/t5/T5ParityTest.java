package io.github.ggml4j.t5;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.parity.LlamaCpp;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.testing.SyntheticT5;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * T5 (encoder–decoder) against llama.cpp's libllama on the same synthetic files and prompts (the reference
 * harness encodes the prompt with {@code llama_encode} and starts the decoder from {@code decoder_start_token_id},
 * as llama-simple does): the decoder's logits at its start token (NMSE ≤ 1e-5 in F32, ≤ 1e-3 in Q8_0) and 32
 * greedy tokens, for three prompts, a ReLU and a GELU-gated model (with fewer decoder than encoder blocks and
 * heads wider than n_embd / n_head), with and without flash attention.
 */
class T5ParityTest {

    static final int N_PREDICT = 32;

    static final List<String> PROMPTS = List.of("translate English to German: The house is wonderful.",
            "summarize: T5 reads its input once with the encoder; the decoder attends to those states at every step, "
                    + "and its relative positions put distant tokens into shared buckets.",
            "Café? 12 345 — naïve");

    static final SyntheticT5 FLAN = new SyntheticT5("t5", 64, 3, 2, 4, 32, 128, 32, true,
            io.github.ggml4j.model.Pooling.NONE, false, GgmlType.F32, 61, 0.15);
    static final SyntheticT5 RELU = new SyntheticT5("t5", 64, 2, 2, 4, 16, 96, 32, false,
            io.github.ggml4j.model.Pooling.NONE, false, GgmlType.F32, 62, 0.15);

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (int p = 0; p < PROMPTS.size(); p++) {
            a.add(Arguments.of("flan F32", FLAN, p, false));
            a.add(Arguments.of("relu F32", RELU, p, false));
        }
        a.add(Arguments.of("flan F32", FLAN, 0, true));
        a.add(Arguments.of("relu F32", RELU, 1, true));
        a.add(Arguments.of("flan Q8_0", FLAN.withType(GgmlType.Q8_0), 0, false));
        // the head tied to the token embeddings (no output.weight)
        a.add(Arguments.of("flan F32 tied", FLAN.withTiedOutput(true), 2, false));
        return a.stream();
    }

    @ParameterizedTest(name = "{0} prompt {2} fa={3}")
    @MethodSource("cases")
    void logitsAndGreedyMatchLlamaCpp(String what, SyntheticT5 spec, int prompt, boolean fa) {
        Path file = spec.cached();
        float[] logits;
        Generation g;
        int[] tokens;
        try (Model m = Model.load(file, Parity.options(fa)); Session s = m.newSession(Parity.session())) {
            tokens = m.tokenizer().encode(PROMPTS.get(prompt), true, true);
            s.generate(tokens, GenerateOptions.greedy(1), null);
            assertEquals(1, s.position(), "the decoder holds its start token only");
            logits = s.logits();
            g = s.generate(tokens, GenerateOptions.greedy(N_PREDICT), null); // encodes again, restarts the decoder
        }
        LlamaCpp.Result ref = LlamaCpp.run(file, tokens, N_PREDICT, Parity.CTX, 512, fa);
        assertEquals(ref.logits().length, logits.length, "n_vocab");
        double nmse = Errors.nmse(ref.logits(), logits);
        System.out.println("parity t5 " + what + " prompt " + prompt + " fa=" + (fa ? 1 : 0) + ": logits NMSE "
                + Parity.fmt(nmse) + ", llama.cpp greedy " + Arrays.toString(ref.generated()));
        double limit = spec.type() == GgmlType.F32 ? 1e-5 : 1e-3;
        assertTrue(nmse <= limit, "NMSE " + nmse + "; " + Errors.worst(Errors.toDouble(ref.logits()), logits));
        assertTrue(ref.generated().length >= 1, "llama.cpp generated nothing");
        Parity.assertGreedyAgrees(ref.generated(), g, what + " prompt " + prompt + " fa=" + fa);
    }
}
