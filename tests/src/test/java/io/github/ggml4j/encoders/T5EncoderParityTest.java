package io.github.ggml4j.encoders;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.model.Pooling;
import io.github.ggml4j.testing.SyntheticT5;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * T5's encoder ({@code t5encoder}) against llama.cpp's {@code llama-embedding} on the same synthetic files and
 * texts: relative position buckets (texts long enough to reach the logarithmic buckets), unscaled scores, heads
 * wider than n_embd / n_head, ReLU and GELU-gated FFNs; pooled (mean, CLS, last) and per-token outputs, with and
 * without flash attention. F32: cosine ≥ 0.9999 and NMSE ≤ 1e-5 per vector; Q8_0: NMSE ≤ 1e-3.
 */
class T5EncoderParityTest {

    static final List<String> TEXTS = List.of("hello world", "The quick brown fox jumps over the lazy dog.",
            "translate English to German: The house is wonderful.",
            "Embeddings turn text into vectors; search and retrieval use them everywhere, and T5's relative "
                    + "positions put distant tokens into shared buckets, which this sentence is long enough to reach "
                    + "once it passes a few dozen pieces of the vocabulary.",
            "Café, naïve résumé — déjà vu!", "a");

    static final SyntheticT5 FLAN = SyntheticT5.encoder(64, 2, 4, 32, 128, true, Pooling.MEAN);
    static final SyntheticT5 RELU = SyntheticT5.encoder(64, 2, 4, 16, 96, false, Pooling.MEAN);

    static ModelOptions options(boolean fa) {
        return ModelOptions.defaults().withThreads(2).withFlashAttention(fa);
    }

    static Stream<Arguments> pooled() {
        List<Arguments> a = new ArrayList<>();
        for (boolean fa : new boolean[] {false, true}) {
            a.add(Arguments.of("gated mean", FLAN, fa));
            a.add(Arguments.of("relu mean", RELU, fa));
        }
        a.add(Arguments.of("gated cls", FLAN.withPooling(Pooling.CLS), false));
        a.add(Arguments.of("relu last", RELU.withPooling(Pooling.LAST), false));
        a.add(Arguments.of("gated mean Q8_0", FLAN.withType(GgmlType.Q8_0), false));
        return a.stream();
    }

    @ParameterizedTest(name = "{0} fa={2}")
    @MethodSource("pooled")
    void pooledEmbeddingsMatchLlamaCpp(String what, SyntheticT5 spec, boolean fa) {
        Path file = spec.cached();
        float[][] ref = LlamaEmbedding.run(file, TEXTS, fa, TEXTS.size());
        float[][] got;
        try (Model m = Model.load(file, options(fa))) {
            assertEquals(spec.pooling(), m.pooling().orElseThrow());
            got = m.embed(TEXTS, false);
        }
        EncoderParityTest.assertClose(what, ref, got, spec.type() == GgmlType.F32 ? 1e-5 : 1e-3);
    }

    @Test
    void tokenStatesWithoutPoolingMatchLlamaCpp() {
        Path file = FLAN.withPooling(Pooling.NONE).cached();
        String text = TEXTS.get(3);
        float[][] got;
        try (Model m = Model.load(file, options(false))) {
            got = m.embedTokens(text, false);
            assertEquals(m.tokenizer().encode(text, true, true).length, got.length, "one vector per token");
        }
        EncoderParityTest.assertClose("t5encoder none", LlamaEmbedding.run(file, List.of(text), false, got.length), got,
                1e-5);
    }
}
