package io.github.ggml4j.behaviour;

import io.github.ggml4j.ModelException;
import io.github.ggml4j.TokenizerException;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufValue;
import io.github.ggml4j.gguf.GgufWriter;
import io.github.ggml4j.gguf.TensorSource;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.quantize.TensorQuantizer;
import io.github.ggml4j.testing.SyntheticLlama;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reliability cases 32-34: a file whose tensors or hyper-parameters do not make a model is refused at load with
 * a {@link ModelException} that says what is wrong, before any of it reaches ggml (which would assert or
 * crash).
 */
class ModelValidationTest {

    /** Tied head: a small file, quick to write once per case. */
    static final SyntheticLlama LLAMA = SyntheticLlama.llama(64, 2, 4, 2, 192).withTiedOutput(true);
    static final SyntheticLlama QWEN2 = SyntheticLlama.qwen2(64, 2, 4, 2, 192).withVocab("llama-spm");

    @TempDir
    static Path dir;

    static int counter;

    /** Writes {@code spec} edited by {@code edit}, loads it and returns the refusal. */
    static ModelException refused(SyntheticLlama spec, Consumer<GgufWriter> edit) {
        GgufWriter w = spec.writer();
        edit.accept(w);
        Path file = dir.resolve("broken-" + counter++ + ".gguf");
        w.write(file);
        ModelException e = assertThrows(ModelException.class, () -> Model.load(file).close());
        assertTrue(e.getMessage().startsWith(file.getFileName().toString()), "names the file: " + e.getMessage());
        return e;
    }

    static void assertMentions(ModelException e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should mention " + p);
        }
    }

    static TensorSource zeros(long bytes) {
        return TensorSource.of(new byte[Math.toIntExact(bytes)]);
    }

    // ---- case 32: tensors ----

    @Test
    void missingTensorIsNamed() {
        assertMentions(refused(LLAMA, w -> w.removeTensor("blk.1.ffn_up.weight")), "blk.1.ffn_up.weight", "missing");
    }

    @Test
    void missingQwen2BiasIsNamed() {
        assertMentions(refused(QWEN2, w -> w.removeTensor("blk.0.attn_k.bias")), "blk.0.attn_k.bias", "missing");
    }

    @Test
    void missingEmbeddingsIsNamed() {
        assertMentions(refused(LLAMA, w -> w.removeTensor("token_embd.weight")), "token_embd.weight");
    }

    @Test
    void wrongShapeIsNamed() {
        // K projection as wide as Q: what a file converted without GQA would hold
        ModelException e = refused(LLAMA, w -> w.replaceTensor("blk.0.attn_k.weight", GgmlType.F32,
                new long[] {64, 64}, zeros(64L * 64 * 4)));
        assertMentions(e, "blk.0.attn_k.weight", "[64, 64]", "[64, 32]");
    }

    @Test
    void embeddingRowsMustMatchTheVocabulary() {
        int nVocab = LLAMA.nVocab();
        ModelException e = refused(LLAMA, w -> w.replaceTensor("token_embd.weight", GgmlType.F32,
                new long[] {64, nVocab - 1}, zeros(64L * (nVocab - 1) * 4)));
        assertMentions(e, "token_embd.weight", String.valueOf(nVocab));
    }

    @Test
    void quantizedNormIsRefused() {
        float[] ones = new float[64];
        Arrays.fill(ones, 1f);
        byte[] q8 = TensorQuantizer.quantize(GgmlType.Q8_0, ones, 1, 64);
        ModelException e = refused(LLAMA, w -> w.replaceTensor("blk.0.attn_norm.weight", GgmlType.Q8_0,
                new long[] {64}, TensorSource.of(q8)));
        assertMentions(e, "blk.0.attn_norm.weight", "Q8_0");
    }

    /** Types ggml's CPU backend claims for a matrix product but has no dot-product kernel for. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"I8", "I16", "I32", "F64", "Q8_1"})
    void matrixInATypeTheCpuCannotMultiplyIsRefused(GgmlType type) {
        ModelException e = refused(LLAMA, w -> w.replaceTensor("blk.1.ffn_gate.weight", type,
                new long[] {64, 192}, zeros(type.rowSize(64) * 192)));
        assertMentions(e, "blk.1.ffn_gate.weight", type.name());
    }

    @Test
    void embeddingsInAnIntegerTypeAreRefused() {
        int nVocab = LLAMA.nVocab();
        ModelException e = refused(LLAMA, w -> w.replaceTensor("token_embd.weight", GgmlType.I32,
                new long[] {64, nVocab}, zeros(64L * nVocab * 4)));
        assertMentions(e, "token_embd.weight", "I32");
    }

    // ---- case 33: hyper-parameters ----

    @Test
    void kvHeadsMustDivideHeads() {
        assertMentions(refused(LLAMA, w -> w.set("llama.attention.head_count_kv", new GgufValue.UInt32(3))),
                "head_count_kv 3", "head_count 4");
    }

    @Test
    void zeroBlocksAreRefused() {
        assertMentions(refused(LLAMA, w -> w.set("llama.block_count", new GgufValue.UInt32(0))), "block count");
    }

    @Test
    void zeroHeadsAreRefused() {
        assertMentions(refused(LLAMA, w -> w.set("llama.attention.head_count", new GgufValue.UInt32(0))),
                "head_count");
    }

    @Test
    void oddHeadWidthIsRefused() {
        // 15-wide heads: RoPE turns pairs, so the rotated width must be even
        assertMentions(refused(LLAMA, w -> w.set("llama.attention.key_length", new GgufValue.UInt32(15))), "RoPE");
    }

    @Test
    void oddRopeDimensionsAreRefused() {
        assertMentions(refused(LLAMA, w -> w.set("llama.rope.dimension_count", new GgufValue.UInt32(15))),
                "RoPE dimension count 15");
    }

    @Test
    void ropeWiderThanTheHeadIsRefused() {
        assertMentions(refused(LLAMA, w -> w.set("llama.rope.dimension_count", new GgufValue.UInt32(32))),
                "RoPE dimension count 32");
    }

    @Test
    void nonPositiveEpsilonIsRefused() {
        assertMentions(refused(LLAMA, w -> w.set("llama.attention.layer_norm_rms_epsilon",
                new GgufValue.Float32(Float.NaN))), "epsilon");
    }

    @Test
    void missingRequiredKeyIsRefused() {
        assertMentions(refused(LLAMA, w -> w.remove("llama.embedding_length")), "llama.embedding_length");
    }

    // ---- case 34: architecture ----

    @Test
    void unknownArchitectureListsTheSupportedOnes() {
        ModelException e = refused(LLAMA, w -> w.set("general.architecture", new GgufValue.Str("mamba9")));
        assertMentions(e, "mamba9", "llama", "qwen2");
    }

    // ---- cases 23-25 through Model.load: the vocabulary is read while the weights are bound ----

    static Path written(SyntheticLlama spec, Consumer<GgufWriter> edit) {
        GgufWriter w = spec.writer();
        edit.accept(w);
        Path file = dir.resolve("broken-" + counter++ + ".gguf");
        w.write(file);
        return file;
    }

    @Test
    void badVocabularyIsATokenizerErrorAtLoad() {
        Path file = written(LLAMA, w -> w.set("tokenizer.ggml.bos_token_id", new GgufValue.UInt32(1_000_000)));
        TokenizerException e = assertThrows(TokenizerException.class, () -> Model.load(file).close());
        assertTrue(e.getMessage().contains("bos_token_id = 1000000"), e.getMessage());
    }

    @Test
    void aBadVocabularyWinsOverBadWeightsWhichIsAttached() {
        Path file = written(LLAMA, w -> {
            w.set("tokenizer.ggml.bos_token_id", new GgufValue.UInt32(1_000_000));
            w.removeTensor("blk.1.ffn_up.weight");
        });
        TokenizerException e = assertThrows(TokenizerException.class, () -> Model.load(file).close());
        assertTrue(e.getMessage().contains("bos_token_id"), e.getMessage());
        assertEquals(1, e.getSuppressed().length, Arrays.toString(e.getSuppressed()));
        assertTrue(e.getSuppressed()[0] instanceof ModelException m && m.getMessage().contains("blk.1.ffn_up.weight"),
                e.getSuppressed()[0].toString());
    }

    @Test
    void badWeightsUnderAGoodVocabularyAreAModelError() {
        Path file = written(LLAMA, w -> w.removeTensor("blk.1.ffn_up.weight"));
        ModelException e = assertThrows(ModelException.class, () -> Model.load(file).close());
        assertMentions(e, "blk.1.ffn_up.weight", "missing");
        assertEquals(0, e.getSuppressed().length);
    }
}
