package io.github.ggml4j.encoders;

import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.ModelException;
import io.github.ggml4j.gguf.GgufValue;
import io.github.ggml4j.gguf.GgufWriter;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.model.Pooling;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.testing.SyntheticEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the encoder API refuses, with which typed error, and what it guarantees beyond parity. */
class EncoderApiTest {

    static final SyntheticEncoder BERT = EncoderParityTest.BERT;

    @TempDir
    Path dir;

    static ModelOptions options() {
        return ModelOptions.defaults().withThreads(2);
    }

    @Test
    void aDecoderHasNoPoolingAndRefusesToEmbed() {
        try (Model m = Model.load(Parity.TINY.cached(), options())) {
            assertTrue(m.pooling().isEmpty());
            ModelException e = assertThrows(ModelException.class, () -> m.embed(List.of("hi")));
            assertTrue(e.getMessage().contains("decoder"), e.getMessage());
            assertThrows(ModelException.class, () -> m.rank("q", List.of("d")));
        }
    }

    @Test
    void anEncoderRefusesSessions() {
        try (Model m = Model.load(BERT.cached(), options())) {
            ModelException e = assertThrows(ModelException.class, m::newSession);
            assertTrue(e.getMessage().contains("encoder") && e.getMessage().contains("embed"), e.getMessage());
        }
    }

    @Test
    void eachPoolingServesItsOwnCall() {
        try (Model mean = Model.load(BERT.cached(), options());
             Model rank = Model.load(BERT.withPooling(Pooling.RANK).cached(), options());
             Model none = Model.load(BERT.withPooling(Pooling.NONE).cached(), options())) {
            assertTrue(assertThrows(ModelException.class, () -> mean.rank("q", List.of("d"))).getMessage()
                    .contains("not a reranker"));
            assertThrows(ModelException.class, () -> mean.embedTokens("hi", false));
            assertTrue(assertThrows(ModelException.class, () -> rank.embed(List.of("hi"))).getMessage()
                    .contains("rank("));
            assertTrue(assertThrows(ModelException.class, () -> none.embed(List.of("hi"))).getMessage()
                    .contains("embedTokens"));
            assertEquals(0, mean.embed(List.of()).length);
            assertEquals(0, rank.rank("q", List.of()).length);
        }
    }

    @Test
    void anInputLongerThanABatchOrThePositionsIsRefused() {
        String longText = "word ".repeat(300); // 302 tokens with [CLS] and [SEP]
        try (Model m = Model.load(BERT.cached(), options().withBatchSize(256))) {
            ContextOverflowException e = assertThrows(ContextOverflowException.class,
                    () -> m.embed(List.of("short", longText)));
            assertTrue(e.getMessage().contains("input 1") && e.getMessage().contains("withBatchSize"), e.getMessage());
            assertEquals(1, m.embed(List.of("short")).length, "the model still works");
        }
        // 512 learned positions: a batch of 1024 does not make room for more
        try (Model m = Model.load(BERT.cached(), options().withBatchSize(1024))) {
            ContextOverflowException e = assertThrows(ContextOverflowException.class,
                    () -> m.embed(List.of("word ".repeat(600))));
            assertTrue(e.getMessage().contains("positions"), e.getMessage());
        }
    }

    @Test
    void embeddingsAreDeterministicAndNormalised() {
        try (Model m = Model.load(BERT.cached(), options())) {
            float[][] a = m.embed(List.of("same text", "other"));
            float[][] b = m.embed(List.of("same text", "other"));
            assertArrayEquals(a[0], b[0]);
            float[] raw = m.embed(List.of("same text"), false)[0];
            double n = Math.sqrt(EncoderParityTest.dot(raw, raw));
            assertTrue(n > 1.5, "the raw vector is not unit length: " + n);
            for (int i = 0; i < raw.length; i++) {
                assertEquals(raw[i] / n, a[0][i], 1e-5);
            }
        }
    }

    @Test
    void badEncoderMetadataIsAModelError() {
        GgufWriter w = BERT.writer();
        w.set("bert.pooling_type", new GgufValue.UInt32(9));
        Path bad = dir.resolve("pooling9.gguf");
        w.write(bad);
        ModelException e = assertThrows(ModelException.class, () -> Model.load(bad, options()).close());
        assertTrue(e.getMessage().contains("pooling_type 9"), e.getMessage());

        GgufWriter w2 = BERT.writer();
        w2.remove("tokenizer.ggml.token_type_count");
        Path noTypes = dir.resolve("notypes.gguf");
        w2.write(noTypes);
        e = assertThrows(ModelException.class, () -> Model.load(noTypes, options()).close());
        assertTrue(e.getMessage().contains("token_type_count"), e.getMessage());
    }
}
