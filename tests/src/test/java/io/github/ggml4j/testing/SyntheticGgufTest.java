package io.github.ggml4j.testing;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufTensorInfo;
import io.github.ggml4j.quantize.TensorQuantizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticGgufTest {

    @TempDir
    Path dir;

    @Test
    void writesArchitectureMetadataAndExactFloatTensors() {
        float[] ones = {1, 1, 1, 1};
        float[] m = {1, 2, 3, 4, 5, 6};
        Path p = SyntheticGguf.create("qwen2").putUInt32("qwen2.block_count", 2).putFloat32("qwen2.eps", 1e-6f)
                .putStrings("x.list", List.of("a", "b"))
                .tensor("output_norm.weight", GgmlType.F32, ones, 4)
                .tensor("m", GgmlType.F32, m, 3, 2)
                .write(dir.resolve("t.gguf"));
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals("qwen2", f.metadata().architecture());
            assertEquals(2, f.metadata().getInt("qwen2.block_count"));
            assertEquals(List.of("a", "b"), f.metadata().getStringArray("x.list"));
            assertArrayEquals(new long[] {3, 2}, f.tensor("m").orElseThrow().shape());
            ByteBuffer b = f.tensorBytes("m");
            for (float x : m) {
                assertEquals(x, b.getFloat());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K", "IQ4_NL"})
    void randomTensorsAreNormalAndQuantizedByGgml(GgmlType type) {
        int rowLength = 256;
        int rows = 16;
        double std = 0.02;
        Path p = SyntheticGguf.create("llama").seed(7).randomTensor("w", type, std, rowLength, rows)
                .randomTensor("ref", GgmlType.F32, std, rowLength, rows)
                .write(dir.resolve(type + ".gguf"));
        try (GgufFile f = GgufFile.open(p)) {
            GgufTensorInfo w = f.tensor("w").orElseThrow();
            assertEquals(type, w.type());
            byte[] q = new byte[(int) w.byteSize()];
            f.readTensorBytes("w", 0, q, 0, q.length);
            float[] back = TensorQuantizer.dequantize(type, q, rowLength * rows);
            double sum = 0;
            double sq = 0;
            for (float x : back) {
                sum += x;
                sq += x * x;
            }
            double mean = sum / back.length;
            double measured = Math.sqrt(sq / back.length - mean * mean);
            assertTrue(Math.abs(mean) < 0.1 * std, "mean " + mean);
            assertTrue(Math.abs(measured - std) < 0.15 * std, "std " + measured + " for " + type);
        }
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes() throws IOException {
        Path a = SyntheticGguf.create("llama").seed(1).randomTensor("w", GgmlType.Q8_0, 1, 64, 4).write(dir.resolve("a"));
        Path b = SyntheticGguf.create("llama").seed(1).randomTensor("w", GgmlType.Q8_0, 1, 64, 4).write(dir.resolve("b"));
        Path c = SyntheticGguf.create("llama").seed(2).randomTensor("w", GgmlType.Q8_0, 1, 64, 4).write(dir.resolve("c"));
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(c)));
    }

    @Test
    void copiesARealVocabulary() {
        Path vocab = SyntheticGguf.llamaCppVocab("llama-spm");
        Path p = SyntheticGguf.create("llama").copyTokenizer(vocab)
                .randomTensor("token_embd.weight", GgmlType.F16, 0.02, 32, 8).write(dir.resolve("v.gguf"));
        try (GgufFile src = GgufFile.open(vocab); GgufFile f = GgufFile.open(p)) {
            List<String> tokenizerKeys = src.metadata().keys().stream().filter(k -> k.startsWith("tokenizer.")).toList();
            assertFalse(tokenizerKeys.isEmpty());
            for (String k : tokenizerKeys) {
                assertEquals(src.metadata().require(k), f.metadata().require(k), k);
            }
            assertEquals(32000, f.metadata().getStringArray("tokenizer.ggml.tokens").size());
            assertEquals("llama", f.metadata().architecture());
            assertFalse(f.metadata().contains("general.name"), "only tokenizer keys are copied");
        }
    }

    @Test
    void plainIntegerAndDoubleTypes() {
        Path p = SyntheticGguf.create("t").tensor("i", GgmlType.I32, new float[] {1.4f, -2.6f}, 2)
                .tensor("d", GgmlType.F64, new float[] {0.5f}, 1).write(dir.resolve("i.gguf"));
        try (GgufFile f = GgufFile.open(p)) {
            ByteBuffer i = f.tensorBytes("i").order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(1, i.getInt());
            assertEquals(-3, i.getInt());
            assertEquals(0.5, f.tensorBytes("d").getDouble());
        }
    }
}
