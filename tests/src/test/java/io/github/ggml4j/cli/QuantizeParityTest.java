package io.github.ggml4j.cli;

import io.github.ggml4j.parity.LlamaCpp;
import io.github.ggml4j.parity.Parity;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ggml4j quantize} against llama.cpp's {@code llama-quantize} from the same tree: the same arguments give
 * byte-identical files (metadata, tensor order, per-tensor types, data, padding) for every type, with and without an
 * importance matrix, and with the flags that change the mix; where llama-quantize refuses, so does ggml4j.
 */
class QuantizeParityTest {

    @TempDir
    static Path dir;

    static Path gqa;
    static Path gqaTied;
    static Path tied;

    @BeforeAll
    static void models() {
        gqa = QuantModels.GQA_F16.cached();
        gqaTied = QuantModels.GQA_TIED_F16.cached();
        tied = QuantModels.TIED_F32.cached();
    }

    /** Runs both tools with {@code args} (OUT standing for the output path) and compares the outcome and bytes. */
    static void assertSame(String what, String... args) throws IOException {
        Path ref = dir.resolve("ref.gguf");
        Path ours = dir.resolve("ours.gguf");
        Files.deleteIfExists(ref);
        Files.deleteIfExists(ours);
        List<String> refArgs = new ArrayList<>();
        List<String> ourArgs = new ArrayList<>(List.of("quantize", "-q"));
        for (String a : args) {
            refArgs.add(a.equals("OUT") ? ref.toString() : a);
            ourArgs.add(a.equals("OUT") ? ours.toString() : a);
        }
        ReferenceTool.Output r = ReferenceTool.run(600, "llama-quantize", refArgs.toArray(String[]::new));
        Cli.Result j = Cli.run(ourArgs.toArray(String[]::new));
        if (r.exit() != 0) {
            assertNotEquals(0, j.exit(), what + ": llama-quantize failed but ggml4j did not\n" + r.text() + r.stderr());
            assertTrue(Files.notExists(ours), what + ": a failed run left an output file");
            return;
        }
        assertEquals(0, j.exit(), what + ": " + j.all());
        long mismatch = Files.mismatch(ref, ours);
        assertEquals(-1, mismatch, what + ": files differ from byte " + mismatch + " (sizes " + Files.size(ref)
                + " and " + Files.size(ours) + ")");
        Files.delete(ref);
        Files.delete(ours);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S",
        "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K", "TQ1_0", "TQ2_0", "Q2_0", "MXFP4_MOE", "F16", "BF16", "F32", "COPY",
        // these need an importance matrix (or, Q1_0, rows that are a multiple of 128): both tools refuse
        "Q1_0", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M", "IQ1_S", "IQ1_M", "IQ3_XXS", "IQ3_XS", "Q2_K_S"})
    void everyTypeWithoutImatrix(String type) throws IOException {
        assertSame(type, gqa.toString(), "OUT", type, "2");
    }

    /** The IQ types that need no importance matrix, on the tied model (its IQ-quantized embeddings are the head). */
    @ParameterizedTest
    @ValueSource(strings = {"IQ3_S", "IQ3_M", "IQ4_NL", "IQ4_XS"})
    void iqTypesWithoutImatrix(String type) throws IOException {
        assertSame(type, gqaTied.toString(), "OUT", type, "2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M", "IQ1_S", "IQ1_M", "IQ3_XXS", "IQ3_XS", "Q2_K_S",
        "Q4_0", "Q4_K_M"})
    void imatrixTypes(String type) throws IOException {
        assertSame(type + " with imatrix", "--imatrix", QuantModels.imatrix().toString(), gqaTied.toString(), "OUT",
                type, "2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_K_M", "Q3_K_M", "Q2_K", "Q8_0"})
    void tiedF32Model(String type) throws IOException {
        assertSame("tied " + type, tied.toString(), "OUT", type, "2");
    }

    /** RWKV6 shapes: the time-mix tensors llama-quantize keeps as they are, the rest in the mix's default type. */
    @ParameterizedTest
    @ValueSource(strings = {"Q4_K_M", "Q5_0", "Q2_K", "IQ4_XS", "Q8_0", "COPY"})
    void rwkv6Model(String type) throws IOException {
        assertSame("rwkv6 " + type, QuantModels.rwkv6().toString(), "OUT", type, "2");
        if (type.equals("Q4_K_M")) {
            // --verify reads the shapes ggml wrote ([256, 1, 1] becomes [256]) as the same tensors
            Path out = dir.resolve("rwkv-verified.gguf");
            Cli.Result r = Cli.run("quantize", "-q", "--verify", QuantModels.rwkv6().toString(), out.toString(), type,
                    "2");
            assertEquals(0, r.exit(), r.all());
            assertTrue(r.out().contains("verify: 54 tensors"), r.out());
            Files.delete(out);
        }
    }

    @Test
    void mixFlags() throws IOException {
        String in = gqa.toString();
        assertSame("--pure", "--pure", in, "OUT", "Q4_K_M", "2");
        assertSame("--leave-output-tensor", "--leave-output-tensor", in, "OUT", "Q4_K_M", "2");
        assertSame("--output/token-embedding-type", "--output-tensor-type", "q8_0", "--token-embedding-type", "q4_0",
                in, "OUT", "Q5_K_M", "2");
        assertSame("--tensor-type", "--tensor-type", "attn_v=q8_0", "--tensor-type", "blk\\.[0-3]\\.ffn_up=Q5_0",
                in, "OUT", "Q4_K_S", "2");
        assertSame("tied --token-embedding-type", "--token-embedding-type", "q6_k", tied.toString(), "OUT",
                "Q3_K_L", "2");
        Path im = QuantModels.imatrix();
        String t = gqaTied.toString();
        assertSame("--include-weights", "--imatrix", im.toString(), "--include-weights", "ffn_down", t, "OUT",
                "Q4_0", "2");
        assertSame("--exclude-weights", "--imatrix", im.toString(), "--exclude-weights", "attn", t, "OUT",
                "Q4_K_M", "2");
        assertSame("exclude what IQ2_XXS needs", "--imatrix", im.toString(), "--exclude-weights", "ffn_gate", t,
                "OUT", "IQ2_XXS", "2");
    }

    @Test
    void requantizeNeedsTheFlag() throws IOException {
        Path q = dir.resolve("q6.gguf");
        assertEquals(0, Cli.run("quantize", "-q", gqa.toString(), q.toString(), "Q6_K", "2").exit());
        assertSame("requantize refused", q.toString(), "OUT", "Q4_0", "2");
        assertSame("--allow-requantize", "--allow-requantize", q.toString(), "OUT", "Q4_0", "2");
    }

    @Test
    void keepSplitNamesTheOutputAsOneShard() throws IOException {
        Path ref = dir.resolve("ks-ref.gguf");
        Path ours = dir.resolve("ks-ours.gguf");
        ReferenceTool.check(300, "llama-quantize", "--keep-split", gqa.toString(), ref.toString(), "Q8_0", "2");
        Cli.Result j = Cli.run("quantize", "-q", "--keep-split", gqa.toString(), ours.toString(), "Q8_0", "2");
        assertEquals(0, j.exit(), j.all());
        Path refShard = dir.resolve("ks-ref-00001-of-00001.gguf");
        Path ourShard = dir.resolve("ks-ours-00001-of-00001.gguf");
        assertTrue(Files.isRegularFile(refShard) && Files.isRegularFile(ourShard), "shard names");
        assertEquals(-1, Files.mismatch(refShard, ourShard));
    }

    /** The same quantized file gives the same greedy tokens in ggml4j and in llama.cpp. */
    @Test
    void quantizedModelGeneratesTheSameTokens() throws IOException {
        Path q = dir.resolve("gen-q4_k_m.gguf");
        assertEquals(0, Cli.run("quantize", "-q", gqa.toString(), q.toString(), "Q4_K_M", "2").exit());
        int[] prompt = Parity.prompt(12, 3);
        LlamaCpp.Result ref = LlamaCpp.run(q, prompt, 16, Parity.CTX, 512, true);
        Parity.Ggml4jResult got = Parity.run(q, Parity.options(true), prompt, 16);
        Parity.assertGreedyAgrees(ref.generated(), got.generation(), "Q4_K_M quantized by ggml4j");
    }
}
