package io.github.ggml4j.decoders;

import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.ModelException;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.arch.Recipes;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufValue;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.parity.LlamaCpp;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.testing.SyntheticDecoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPT-2, MPT, BLOOM (ALiBi) and Falcon (parallel attention/FFN, multi-query) against llama.cpp on the same
 * synthetic files: the last prompt position's logits (NMSE ≤ 1e-5 in F32, ≤ 1e-3 in Q8_0) and 32 greedy tokens,
 * with and without flash attention (F32 files). The prompt is evaluated in micro-batches of 8 so that ALiBi's distance
 * mask and the learned positions are also checked across batches and cached cells.
 */
class ParityDecodersTest {

    static final int N_PREDICT = 32;
    static final int[] PROMPT = Parity.prompt(20, 23);

    static Stream<Arguments> models() {
        SyntheticDecoder gpt2 = SyntheticDecoder.gpt2(128, 2, 4, 512);
        SyntheticDecoder mpt = SyntheticDecoder.mpt(128, 2, 4, 512);
        // six heads: ALiBi's slopes for a head count that is not a power of two
        // untied head: with the head tied to LayerNorm'd embeddings the greedy tokens repeat one token
        SyntheticDecoder bloom = SyntheticDecoder.bloom(192, 2, 6, 768).withTied(false);
        SyntheticDecoder falcon = SyntheticDecoder.falcon(128, 2, 4, 1, 512);
        return Stream.of(
                Arguments.of("gpt2 F32", gpt2),
                Arguments.of("gpt2 Q8_0", gpt2.withType(GgmlType.Q8_0)),
                Arguments.of("gpt2 F32, untied head", gpt2.withTied(false)),
                Arguments.of("mpt F32", mpt),
                Arguments.of("mpt F32 with biases, clamp_kqv", mpt.withBiases(true).withClampKqv(0.5f)),
                Arguments.of("mpt Q8_0", mpt.withType(GgmlType.Q8_0)),
                Arguments.of("bloom F32", bloom),
                Arguments.of("bloom Q8_0", bloom.withType(GgmlType.Q8_0)),
                Arguments.of("falcon-7b F32 (MQA)", falcon),
                Arguments.of("falcon-7b Q8_0", falcon.withType(GgmlType.Q8_0)),
                Arguments.of("falcon-40b F32, two norms, GQA 4:2",
                        SyntheticDecoder.falcon(128, 2, 4, 2, 512).withTwoNorms(true).withTied(true)));
    }

    /** Flash attention on and off for the F32 files, off for the others (the CI time of 2 cores). */
    static Stream<Arguments> modelsAndAttention() {
        return models().flatMap(a -> {
            SyntheticDecoder spec = (SyntheticDecoder) a.get()[1];
            Stream<Boolean> fa = spec.type() == GgmlType.F32 && !a.get()[0].toString().contains(",")
                    ? Stream.of(false, true) : Stream.of(false);
            return fa.map(f -> Arguments.of(a.get()[0], spec, f));
        });
    }

    @ParameterizedTest(name = "{0} fa={2}")
    @MethodSource("modelsAndAttention")
    void logitsAndGreedyMatchLlamaCpp(String what, SyntheticDecoder spec, boolean fa) {
        Path file = spec.cached();
        LlamaCpp.Result ref = LlamaCpp.run(file, PROMPT, N_PREDICT, Parity.CTX, 8, fa);
        Parity.Ggml4jResult got = Parity.run(file, Parity.options(fa).withBatchSize(8), PROMPT, N_PREDICT);
        assertEquals(spec.nVocab(), ref.logits().length, "llama.cpp's n_vocab");
        assertEquals(ref.logits().length, got.logits().length, "n_vocab");
        double nmse = Errors.nmse(ref.logits(), got.logits());
        System.out.println("parity " + what + " fa=" + (fa ? 1 : 0) + ": logits NMSE " + Parity.fmt(nmse)
                + ", llama.cpp greedy " + Arrays.toString(ref.generated()));
        double limit = spec.type() == GgmlType.F32 ? 1e-5 : 1e-3;
        assertTrue(nmse <= limit, "NMSE " + nmse + "; " + Errors.worst(Errors.toDouble(ref.logits()), got.logits()));
        assertTrue(ref.generated().length >= 1, "llama.cpp generated nothing");
        Parity.assertGreedyAgrees(ref.generated(), got.generation(), what + " fa=" + fa);
    }

    @Test
    void alibiHyperParametersAreReadAsLlamaCppReadsThem() {
        assertEquals(8f, hparams("mpt", SyntheticDecoder.mpt(128, 2, 4, 512).cached()).maxAlibiBias());
        assertEquals(0.5f, hparams("mpt", SyntheticDecoder.mpt(128, 2, 4, 512).withBiases(true).withClampKqv(0.5f)
                .cached()).clampKqv());
        // BLOOM files carry no key: llama.cpp's fixed 8
        assertEquals(8f, hparams("bloom", SyntheticDecoder.bloom(192, 2, 6, 768).cached()).maxAlibiBias());
        assertEquals(0f, hparams("gpt2", SyntheticDecoder.gpt2(128, 2, 4, 512).cached()).maxAlibiBias());
        assertEquals(1e-5f, hparams("falcon", SyntheticDecoder.falcon(128, 2, 4, 1, 512).cached()).rmsEps());
    }

    private static HParams hparams(String arch, Path file) {
        try (GgufFile f = GgufFile.open(file)) {
            return Recipes.forArchitecture(arch).hparams(f.metadata());
        }
    }

    @Test
    void unsupportedArchitectureListsEverySupportedOne(@org.junit.jupiter.api.io.TempDir Path dir) {
        Path file = dir.resolve("mamba9.gguf");
        var w = SyntheticDecoder.gpt2(64, 1, 2, 128).writer();
        w.set("general.architecture", new GgufValue.Str("mamba9"));
        w.write(file);
        ModelException e = assertThrows(ModelException.class, () -> Model.load(file, Parity.options(false)).close());
        for (String arch : new String[] {"mamba9", "llama", "qwen2", "gpt2", "mpt", "bloom", "falcon"}) {
            assertTrue(e.getMessage().contains(arch), e.getMessage() + " should mention " + arch);
        }
        for (String arch : Recipes.supported()) {
            assertTrue(e.getMessage().contains(arch), e.getMessage() + " should mention " + arch);
        }
        assertTrue(Files.isRegularFile(file));
    }

    @Test
    void learnedPositionsBoundTheSessionLength() {
        Path file = SyntheticDecoder.gpt2(64, 1, 2, 128).withContextLength(48).cached();
        try (Model model = Model.load(file, Parity.options(false))) {
            // a session asking for more positions than the table has is refused up front
            ContextOverflowException e = assertThrows(ContextOverflowException.class,
                    () -> model.newSession(SessionOptions.defaults().withContextSize(64)).close());
            assertTrue(e.getMessage().contains("48"), e.getMessage());
            // the default session holds the 48 positions; the 49th is refused, not looked up out of bounds
            try (Session s = model.newSession(SessionOptions.defaults())) {
                s.evaluate(Parity.prompt(48, 3));
                assertThrows(ContextOverflowException.class, () -> s.evaluate(new int[] {500}));
            }
            try (Session s = model.newSession(SessionOptions.defaults())) {
                assertThrows(ContextOverflowException.class, () -> s.evaluate(Parity.prompt(49, 3)));
            }
        }
    }

    @Test
    void missingFusedQkvIsATypedError(@org.junit.jupiter.api.io.TempDir Path dir) {
        Path file = dir.resolve("falcon-broken.gguf");
        var w = SyntheticDecoder.falcon(64, 1, 2, 1, 128).writer();
        w.removeTensor("blk.0.attn_qkv.weight");
        w.write(file);
        ModelException e = assertThrows(ModelException.class, () -> Model.load(file, Parity.options(false)).close());
        assertTrue(e.getMessage().contains("attn_qkv"), e.getMessage());
    }
}
