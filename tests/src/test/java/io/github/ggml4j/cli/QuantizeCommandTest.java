package io.github.ggml4j.cli;

import io.github.ggml4j.QuantizeException;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.quantize.FileType;
import io.github.ggml4j.quantize.ImportanceMatrix;
import io.github.ggml4j.quantize.QuantizeOptions;
import io.github.ggml4j.quantize.Quantizer;
import io.github.ggml4j.quantize.TensorPlan;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ggml4j quantize} and {@code perplexity}: arguments, errors, dry run, summary, and the API's validation. */
class QuantizeCommandTest {

    @TempDir
    Path dir;

    static Path model;

    @BeforeAll
    static void model() {
        model = QuantModels.GQA_F16.cached();
    }

    static List<String> names(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void dryRunPrintsTypesAndSizesAndWritesNothing() throws IOException {
        Path out = dir.resolve("never.gguf");
        Cli.Result r = Cli.run("quantize", "--dry-run", model.toString(), out.toString(), "Q4_K_M");
        assertEquals(0, r.exit(), r.all());
        assertEquals(List.of(), names(dir));
        assertTrue(r.out().contains("blk.0.ffn_down.weight"), r.out());
        assertTrue(r.out().contains("q8_0") && r.out().contains("(fallback)"), r.out());
        assertTrue(r.out().matches("(?s).*model size  = +[0-9.]+ MiB \\(16\\.00 BPW\\).*"), r.out());
        assertTrue(r.out().matches("(?s).*quant size  = +[0-9.]+ MiB \\(5\\.45 BPW\\).*"), r.out());
        assertTrue(r.out().contains("8 of 75 tensor(s) required fallback quantization"), r.out());
        Cli.Result iq = Cli.run("quantize", "--dry-run", model.toString(), "IQ2_XXS");
        assertEquals(0, iq.exit(), iq.all());
        assertTrue(iq.out().contains("will require an imatrix"), iq.out());
    }

    @Test
    void summaryAndNoProgressBarWhenNotATerminal() throws IOException {
        Path out = dir.resolve("q.gguf");
        Cli.Result r = Cli.run("quantize", model.toString(), out.toString(), "q8_0", "2");
        assertEquals(0, r.exit(), r.all());
        assertFalse(r.err().contains("\r"), "a progress bar was drawn on a non-terminal: " + r.err());
        assertTrue(r.out().contains("wrote " + out + " as Q8_0 in "), r.out());
        assertTrue(r.out().contains("(8.51 BPW)"), r.out());
        assertEquals(75, r.out().lines().filter(l -> l.startsWith("[")).count(), r.out());
        Cli.Result quiet = Cli.run("quantize", "-q", model.toString(), out.toString(), "Q8_0", "2");
        assertEquals(0, quiet.exit());
        assertEquals(0, quiet.out().lines().filter(l -> l.startsWith("[")).count(), quiet.out());
    }

    /** The bar itself (drawn only on a terminal): tensor i/n, percentage, bytes, rate, ETA, one line. */
    @Test
    void progressBarLine() {
        java.io.StringWriter w = new java.io.StringWriter();
        ProgressBar bar = new ProgressBar(new java.io.PrintWriter(w, true));
        bar.progress(0, 75, "output.weight", 0, 4L << 20);
        bar.progress(74, 75, "blk.7.ffn_up.weight", 4L << 20, 4L << 20);
        bar.finish();
        String s = w.toString();
        assertTrue(s.startsWith("\r[   1/  75] output.weight"), s);
        assertTrue(s.contains("\r[  75/  75] blk.7.ffn_up.weight") && s.contains("100.0%") && s.contains("4.0/4.0 MiB"),
                s);
        assertTrue(s.contains("MiB/s ETA") && s.endsWith(System.lineSeparator()), s);
        assertFalse(ProgressBar.wanted(true), "--quiet never draws");
    }

    @Test
    void outputNameFromTheTypeAlone() throws IOException {
        Path in = dir.resolve("m.gguf");
        Files.copy(model, in);
        Cli.Result r = Cli.run("quantize", "-q", in.toString(), "Q4_0", "2");
        assertEquals(0, r.exit(), r.all());
        assertTrue(Files.isRegularFile(dir.resolve("ggml-model-Q4_0.gguf")), names(dir).toString());
    }

    @Test
    void badArgumentsAreCleanErrors() {
        String in = model.toString();
        String out = dir.resolve("x.gguf").toString();
        assertError(Cli.run("quantize", in, out, "Q9_K"), "unknown quantization type");
        assertError(Cli.run("quantize", in, out, "Q4_0", "many"), "invalid THREADS");
        assertError(Cli.run("quantize", "--output-tensor-type", "q8_k", in, out, "Q4_0"), "cannot write");
        assertError(Cli.run("quantize", "--tensor-type", "attn_v", in, out, "Q4_0"), "malformed tensor type");
        assertError(Cli.run("quantize", "--tensor-type", "attn_v=", in, out, "Q4_0"), "missing quantization type");
        assertError(Cli.run("quantize", "--tensor-type", "(=q8_0", in, out, "Q4_0"), "bad pattern");
        assertError(Cli.run("quantize", "--imatrix", in, "--include-weights", "a", "--exclude-weights", "b", in, out,
                "Q4_0"), "cannot be used together");
        assertError(Cli.run("quantize", "--imatrix", dir.resolve("none").toString(), in, out, "Q4_0"), "imatrix");
        assertError(Cli.run("quantize", dir.resolve("missing.gguf").toString(), out, "Q4_0"), "no such file");
        // ggml would assert on rows of 64 in 256-blocks; this is checked first
        assertError(Cli.run("quantize", "--token-embedding-type", "q4_k", CliModels.LLAMA_F32.cached().toString(),
                out, "Q8_0"), "not a multiple");
        assertTrue(Files.notExists(Path.of(out)));
    }

    private static void assertError(Cli.Result r, String text) {
        assertTrue(r.exit() != 0, r.all());
        assertTrue(r.err().startsWith("ggml4j: ") || r.err().contains("Usage"), r.all());
        if (text != null) {
            assertTrue(r.err().contains(text), "expected '" + text + "' in: " + r.err());
        }
    }

    @Test
    void optionsAreValidated() {
        assertThrows(QuantizeException.class, () -> QuantizeOptions.builder(FileType.Q4_0).threads(-1).build());
        assertThrows(QuantizeException.class, () -> QuantizeOptions.builder(FileType.Q4_0).maxBufferBytes(10).build());
        assertThrows(QuantizeException.class, () -> QuantizeOptions.builder(FileType.Q4_0).includeWeights("x").build());
        assertThrows(QuantizeException.class, () -> QuantizeOptions.builder(FileType.Q4_0)
                .outputTensorType(GgmlType.I32).build());
        assertThrows(QuantizeException.class, () -> FileType.parse("q4"));
        assertEquals(FileType.Q4_K_M, FileType.parse("q4_k"));
        assertEquals(FileType.Q4_K_M, FileType.parse("15"));
        assertEquals(FileType.F32, FileType.parse("0"));
        assertEquals(GgmlType.Q6_K, FileType.parseTensorType("Q6_k"));
        QuantizeOptions o = QuantizeOptions.builder(FileType.Q5_K_S).pure(true).tensorType("ffn", GgmlType.Q8_0).build();
        assertEquals(o, o.toBuilder().build());
    }

    /** The API's plan is what the CLI's dry run shows: the Q4_K_M rules for this 8-block GQA model. */
    @Test
    void planFollowsTheQ4KMRules() {
        List<TensorPlan> plan = Quantizer.plan(model, QuantizeOptions.of(FileType.Q4_K_M));
        Map<String, GgmlType> to = new java.util.HashMap<>();
        plan.forEach(t -> to.put(t.name(), t.to()));
        assertEquals(GgmlType.Q6_K, to.get("output.weight"));
        assertEquals(GgmlType.Q4_K, to.get("token_embd.weight"));
        assertEquals(GgmlType.F32, to.get("output_norm.weight"));
        // use_more_bits(i, 8): layers 0, 2, 5, 7 (i < 1, i >= 7, (i - 1) % 3 == 2)
        for (int i = 0; i < 8; i++) {
            boolean more = i < 1 || i >= 7 || (i - 1) % 3 == 2;
            assertEquals(more ? GgmlType.Q6_K : GgmlType.Q4_K, to.get("blk." + i + ".attn_v.weight"), "layer " + i);
            assertEquals(more ? GgmlType.Q8_0 : GgmlType.Q5_0, to.get("blk." + i + ".ffn_down.weight"), "layer " + i);
            assertEquals(GgmlType.Q4_K, to.get("blk." + i + ".attn_q.weight"));
        }
        assertEquals("output.weight", plan.get(0).name());
        assertEquals("blk.0.attn_k.weight", plan.get(3).name());
    }

    /** A legacy-format importance matrix (written here) gives llama-quantize's bytes too. */
    @Test
    void legacyImatrixFormat() throws IOException {
        Path tied = QuantModels.GQA_TIED_F16.cached();
        ImportanceMatrix gguf = ImportanceMatrix.load(QuantModels.imatrix());
        Path legacy = dir.resolve("legacy.dat");
        ByteBuffer b = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(gguf.entries().size());
        int ncall = 3;
        for (Map.Entry<String, float[]> e : gguf.entries().entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            b.putInt(name.length).put(name).putInt(ncall).putInt(e.getValue().length);
            for (float v : e.getValue()) {
                b.putFloat(v * ncall);
            }
        }
        byte[] ds = "legacy.txt".getBytes(StandardCharsets.UTF_8);
        b.putInt(7).putInt(ds.length).put(ds);
        Files.write(legacy, java.util.Arrays.copyOf(b.array(), b.position()));
        ImportanceMatrix read = ImportanceMatrix.load(legacy);
        assertEquals(gguf.entries().keySet(), read.entries().keySet());
        assertEquals(7, read.chunkCount());
        assertEquals(List.of("legacy.txt"), read.datasets());
        Path ref = dir.resolve("ref.gguf");
        Path ours = dir.resolve("ours.gguf");
        ReferenceTool.check(600, "llama-quantize", "--imatrix", legacy.toString(), tied.toString(), ref.toString(),
                "IQ2_XS", "2");
        Cli.Result r = Cli.run("quantize", "-q", "--imatrix", legacy.toString(), tied.toString(), ours.toString(),
                "IQ2_XS", "2");
        assertEquals(0, r.exit(), r.all());
        assertEquals(-1, Files.mismatch(ref, ours));
        try (GgufFile f = GgufFile.open(ours)) {
            assertEquals("legacy.txt", f.metadata().getString("quantize.imatrix.dataset"));
            assertEquals(7, f.metadata().getLong("quantize.imatrix.chunks_count"));
        }
    }

    /** Session.evaluateAll returns one row per token, each the logits a token-by-token evaluation gives. */
    @Test
    void evaluateAllRowsMatchStepwiseLogits() {
        try (Model m = Model.load(CliModels.LLAMA_F32.cached(),
                io.github.ggml4j.model.ModelOptions.defaults().withBatchSize(8).withThreads(1));
             Session all = m.newSession(SessionOptions.defaults().withContextSize(64));
             Session one = m.newSession(SessionOptions.defaults().withContextSize(64))) {
            int[] tokens = {1, 450, 4996, 17354, 1701, 432, 17204, 975, 278, 17366, 11203, 29889, 13, 1, 2, 3, 4, 5, 6,
                7};
            float[][] rows = all.evaluateAll(tokens);
            assertEquals(tokens.length, rows.length);
            for (int i = 0; i < tokens.length; i++) {
                one.evaluate(tokens[i]);
                float[] expected = one.logits();
                float[] got = rows[i];
                // batched and one-token graphs use different kernels: equal up to float rounding
                double nmse = io.github.ggml4j.testing.Errors.nmse(expected, got);
                assertTrue(nmse < 1e-6, "token " + i + ": NMSE " + nmse);
            }
            assertArrayEquals(rows[tokens.length - 1], all.logits());
            assertEquals(tokens.length, all.position());
        }
    }

    @Test
    void perplexityArgumentsAndShortText() throws IOException {
        Path text = dir.resolve("short.txt");
        Files.writeString(text, "too short");
        Path m = CliModels.LLAMA_F32.cached();
        assertError(Cli.run("perplexity", "-m", m.toString(), "-f", text.toString(), "-c", "64"), "at least 128 tokens");
        assertError(Cli.run("perplexity", "-m", m.toString()), "missing -f");
        assertError(Cli.run("perplexity", "-m", m.toString(), "--kl-divergence"), "--kl-divergence-base");
        Path notKld = dir.resolve("x.kld");
        Files.writeString(notKld, "not a logits file");
        assertError(Cli.run("perplexity", "-m", m.toString(), "--kl-divergence", "--kl-divergence-base",
                notKld.toString()), "log-probabilities");
    }

    @Test
    void verifyWithTextReportsBothPerplexities() {
        Path out = dir.resolve("v.gguf");
        Cli.Result r = Cli.run("quantize", "-q", "--verify", "--verify-text", QuantModels.text(3000).toString(),
                "--verify-ctx", "128", "--verify-chunks", "2", QuantModels.TIED_F32.cached().toString(),
                out.toString(), "Q4_K_M", "2");
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.out().matches("(?s).*verify: perplexity [0-9.]+ \\(input\\) -> [0-9.]+ \\(output\\), [+-][0-9.]+ %.*"),
                r.out());
    }
}
