package io.github.ggml4j.encoders;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.model.Pooling;
import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.testing.SyntheticEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * BERT, nomic-bert and jina-bert-v2 encoders against llama.cpp's {@code llama-embedding} on the same synthetic files and texts:
 * every pooled vector (mean, CLS, last), every token's vector without pooling, and a reranker's scores, with and
 * without flash attention. F32: cosine ≥ 0.9999 and NMSE ≤ 1e-5 per vector; Q8_0: NMSE ≤ 1e-3.
 */
class EncoderParityTest {

    /** Texts of different lengths, with accents and punctuation for WordPiece. */
    static final List<String> TEXTS = List.of("hello world", "The quick brown fox jumps over the lazy dog.",
            "what is a panda?", "Embeddings turn text into vectors; search and retrieval use them everywhere.",
            "Café, naïve résumé — déjà vu!", "a");

    static final SyntheticEncoder BERT = SyntheticEncoder.bert(128, 2, 4, 512, Pooling.MEAN);
    static final SyntheticEncoder NOMIC = SyntheticEncoder.nomicBert(128, 2, 4, 512, Pooling.MEAN);
    static final SyntheticEncoder JINA = SyntheticEncoder.jinaBertV2(128, 2, 4, 512, Pooling.MEAN);

    static ModelOptions options(boolean fa) {
        return ModelOptions.defaults().withThreads(2).withFlashAttention(fa);
    }

    static Stream<Arguments> pooled() {
        List<Arguments> a = new ArrayList<>();
        for (boolean fa : new boolean[] {false, true}) {
            a.add(Arguments.of("bert mean", BERT, fa));
            a.add(Arguments.of("bert cls", BERT.withPooling(Pooling.CLS), fa));
            a.add(Arguments.of("bert last", BERT.withPooling(Pooling.LAST), fa));
            a.add(Arguments.of("nomic-bert mean", NOMIC, fa));
            a.add(Arguments.of("jina-bert-v2 mean", JINA, fa));
            a.add(Arguments.of("jina-bert-v2 geglu cls", JINA.withFusedGate().withPooling(Pooling.CLS), fa));
        }
        a.add(Arguments.of("jina-bert-v2 mean Q8_0", JINA.withType(GgmlType.Q8_0), false));
        a.add(Arguments.of("bert mean Q8_0", BERT.withType(GgmlType.Q8_0), false));
        a.add(Arguments.of("nomic-bert cls Q8_0", NOMIC.withPooling(Pooling.CLS).withType(GgmlType.Q8_0), false));
        return a.stream();
    }

    @ParameterizedTest(name = "{0} fa={2}")
    @MethodSource("pooled")
    void pooledEmbeddingsMatchLlamaCpp(String what, SyntheticEncoder spec, boolean fa) {
        Path file = spec.cached();
        float[][] ref = LlamaEmbedding.run(file, TEXTS, fa, TEXTS.size());
        float[][] got;
        try (Model m = Model.load(file, options(fa))) {
            assertEquals(spec.pooling(), m.pooling().orElseThrow());
            got = m.embed(TEXTS, false);
        }
        assertClose(what, ref, got, spec.type() == GgmlType.F32 ? 1e-5 : 1e-3);
    }

    @ParameterizedTest(name = "fa={0}")
    @MethodSource("flash")
    void tokenEmbeddingsWithoutPoolingMatchLlamaCpp(boolean fa) {
        Path file = BERT.withPooling(Pooling.NONE).cached();
        String text = TEXTS.get(3);
        float[][] got;
        try (Model m = Model.load(file, options(fa))) {
            got = m.embedTokens(text, false);
            assertEquals(m.tokenizer().encode(text, true, true).length, got.length, "one vector per token");
        }
        assertClose("bert none", LlamaEmbedding.run(file, List.of(text), fa, got.length), got, 1e-5);
    }

    static Stream<Boolean> flash() {
        return Stream.of(false, true);
    }

    static Stream<Arguments> rerankers() {
        List<Arguments> a = new ArrayList<>();
        for (boolean fa : new boolean[] {false, true}) {
            a.add(Arguments.of("bert", BERT, fa));
            a.add(Arguments.of("jina-bert-v2", JINA, fa)); // a one-row head, as jina-reranker-v1 has
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0} fa={1}")
    @MethodSource("rerankers")
    void rerankerScoresMatchLlamaCpp(String what, SyntheticEncoder spec, boolean fa) {
        Path file = spec.withPooling(Pooling.RANK).cached();
        String query = "what is a panda?";
        List<String> docs = List.of("hi", "The giant panda is a bear native to China.", "Pandas eat bamboo.", "a");
        List<String> pairs = docs.stream().map(d -> query + "\t" + d).toList();
        float[][] ref = LlamaEmbedding.run(file, pairs, fa, docs.size());
        float[] got;
        try (Model m = Model.load(file, options(fa))) {
            got = m.rank(query, docs);
        }
        float[] want = new float[ref.length];
        for (int i = 0; i < ref.length; i++) {
            assertEquals(1, ref[i].length, "one score per pair");
            want[i] = ref[i][0];
            // llama-embedding prints scores with 7 decimals
            assertEquals(want[i], got[i], 1e-4 + 1e-3 * Math.abs(want[i]), "score of document " + i);
        }
        assertTrue(Errors.nmse(want, got) <= 1e-5, "scores NMSE " + Errors.nmse(want, got));
    }

    @Test
    void aLongListIsBatchedAcrossStepsLikeOneTextAtATime() {
        Path file = BERT.cached();
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            many.add(TEXTS.get(i % TEXTS.size()) + " number " + i);
        }
        try (Model m = Model.load(file, options(false).withBatchSize(64))) {
            float[][] together = m.embed(many);
            for (int i = 0; i < many.size(); i += 7) {
                float[] alone = m.embed(List.of(many.get(i)))[0];
                double cos = cosine(alone, together[i]);
                assertTrue(cos >= 0.99999, "text " + i + ": cosine " + cos);
                double norm = Math.sqrt(dot(together[i], together[i]));
                assertEquals(1.0, norm, 1e-5, "L2-normalised");
            }
        }
    }

    static void assertClose(String what, float[][] ref, float[][] got, double maxNmse) {
        assertEquals(ref.length, got.length, what + ": vectors");
        for (int i = 0; i < ref.length; i++) {
            assertEquals(ref[i].length, got[i].length, what + ": width of vector " + i);
            double nmse = Errors.nmse(ref[i], got[i]);
            double cos = cosine(ref[i], got[i]);
            assertTrue(nmse <= maxNmse, what + ": vector " + i + " NMSE " + nmse + " " + Errors.worst(
                    Errors.toDouble(ref[i]), got[i]));
            if (maxNmse <= 1e-5) {
                assertTrue(cos >= 0.9999, what + ": vector " + i + " cosine " + cos);
            }
        }
    }

    static double cosine(float[] a, float[] b) {
        return dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
