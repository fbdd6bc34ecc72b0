package io.github.ggml4j.testing;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufMetadata;
import io.github.ggml4j.gguf.GgufTensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The synthetic model factory: shapes, types, metadata, determinism and the weights it reports. */
class SyntheticLlamaTest {

    static final SyntheticLlama SMALL = SyntheticLlama.llama(64, 2, 4, 2, 256).withTiedOutput(true);

    @TempDir
    Path dir;

    @Test
    void writesRealShapesTypesAndMetadata() {
        SyntheticLlama spec = SMALL.withWeightType(GgmlType.Q4_0).withEmbdType(GgmlType.Q8_0).withTiedOutput(false);
        Path file = spec.write(dir.resolve("m.gguf"));
        try (GgufFile f = GgufFile.open(file)) {
            GgufMetadata md = f.metadata();
            assertEquals("llama", md.architecture());
            assertEquals(64, md.getInt("llama.embedding_length"));
            assertEquals(2, md.getInt("llama.block_count"));
            assertEquals(4, md.getInt("llama.attention.head_count"));
            assertEquals(2, md.getInt("llama.attention.head_count_kv"));
            assertEquals(256, md.getInt("llama.feed_forward_length"));
            assertEquals(32000, md.getArray("tokenizer.ggml.tokens").size(), "llama-spm vocabulary");
            assertEquals(32000, spec.nVocab());
            assertEquals(3 + 2 * 9, f.tensors().size());
            assertArrayEquals(new long[] {64, 32000}, f.tensor("token_embd.weight").orElseThrow().shape());
            assertEquals(GgmlType.Q8_0, f.tensor("output.weight").orElseThrow().type());
            assertArrayEquals(new long[] {64, 32}, f.tensor("blk.1.attn_k.weight").orElseThrow().shape());
            assertArrayEquals(new long[] {256, 64}, f.tensor("blk.0.ffn_down.weight").orElseThrow().shape());
            for (GgufTensorInfo t : f.tensors()) {
                if (t.name().endsWith("norm.weight")) {
                    assertEquals(GgmlType.F32, t.type(), t.name());
                } else if (t.name().startsWith("blk.")) {
                    assertEquals(GgmlType.Q4_0, t.type(), t.name());
                }
            }
        }
    }

    @Test
    void qwen2HasBiasesAndItsOwnKeys() {
        SyntheticLlama spec = SyntheticLlama.qwen2(64, 1, 4, 2, 128).withVocab("llama-spm");
        try (GgufFile f = GgufFile.open(spec.write(dir.resolve("q.gguf")))) {
            assertEquals("qwen2", f.metadata().architecture());
            assertEquals(1e-6f, f.metadata().getFloat("qwen2.attention.layer_norm_rms_epsilon"));
            assertArrayEquals(new long[] {32}, f.tensor("blk.0.attn_v.bias").orElseThrow().shape());
            assertTrue(f.tensor("output.weight").isEmpty(), "tied head");
        }
        assertEquals(ReferenceLlama.RopeMode.NEOX, spec.referenceConfig().ropeMode());
    }

    @Test
    void sameSpecSameBytes() throws IOException {
        Path a = SMALL.write(dir.resolve("a.gguf"));
        Path b = SMALL.write(dir.resolve("b.gguf"));
        assertEquals(-1, Files.mismatch(a, b));
        Path c = SMALL.withSeed(2).write(dir.resolve("c.gguf"));
        assertTrue(Files.mismatch(a, c) >= 0, "another seed, other weights");
    }

    /** The random values do not depend on the storage type: a quantized file holds the F32 file's weights. */
    @Test
    void readWeightsReturnsWhatTheFileStores() {
        Map<String, float[]> f32 = SyntheticLlama.readWeights(SMALL.write(dir.resolve("f32.gguf")));
        Path q8File = SMALL.withTypes(GgmlType.Q8_0).write(dir.resolve("q8.gguf"));
        Map<String, float[]> q8 = SyntheticLlama.readWeights(q8File);
        assertEquals(f32.keySet(), q8.keySet());
        for (String name : f32.keySet()) {
            double nmse = Errors.nmse(f32.get(name), q8.get(name));
            assertTrue(nmse < 1e-4, name + ": Q8_0 vs F32 NMSE " + nmse);
        }
        assertFalse(java.util.Arrays.equals(f32.get("blk.0.attn_q.weight"), q8.get("blk.0.attn_q.weight")),
                "Q8_0 weights are the dequantized values, not the originals");

        float[] norm = f32.get("blk.1.ffn_norm.weight");
        double mean = 0;
        for (float v : norm) {
            mean += v / norm.length;
            assertTrue(v > 0.7f && v < 1.3f, "norm weight " + v);
        }
        assertEquals(1.0, mean, 0.03);
        float[] q = f32.get("blk.0.attn_q.weight");
        double sq = 0;
        for (float v : q) {
            sq += v * v;
        }
        assertEquals(SMALL.std(), Math.sqrt(sq / q.length), SMALL.std() * 0.05);
    }

    @Test
    void rejectsShapesThatMakeNoModel() {
        assertThrows(IllegalArgumentException.class, () -> SyntheticLlama.llama(64, 2, 5, 1, 128));
        assertThrows(IllegalArgumentException.class, () -> SyntheticLlama.llama(64, 2, 4, 3, 128));
        assertThrows(IllegalArgumentException.class, () -> SyntheticLlama.llama(60, 2, 4, 2, 128));
        assertThrows(IllegalArgumentException.class,
                () -> new SyntheticLlama("gptj", 64, 2, 4, 2, 128, "llama-spm", GgmlType.F32, GgmlType.F32, true,
                        128, 1e4f, 1, 0.02));
    }

    @Test
    void tinyLlamaPresetHasTheRealShape() {
        SyntheticLlama t = SyntheticLlama.tinyLlama(GgmlType.Q4_0);
        assertEquals(2048, t.nEmbd());
        assertEquals(22, t.nLayer());
        assertEquals(32, t.nHead());
        assertEquals(4, t.nHeadKv());
        assertEquals(5632, t.nFf());
        assertEquals(64, t.headDim());
        assertEquals(32000, t.nVocab());
        assertFalse(t.tiedOutput());
    }
}
