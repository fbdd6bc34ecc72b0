package io.github.ggml4j.cli;

import io.github.ggml4j.QuantizeException;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufTensorInfo;
import io.github.ggml4j.gguf.GgufWriter;
import io.github.ggml4j.gguf.TensorSource;
import io.github.ggml4j.quantize.FileType;
import io.github.ggml4j.quantize.QuantizeOptions;
import io.github.ggml4j.quantize.QuantizeResult;
import io.github.ggml4j.quantize.Quantizer;
import io.github.ggml4j.quantize.TensorPlan;
import io.github.ggml4j.quantize.Verifier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reliability cases 45-50: atomic output, killed runs, disk full, input as output, --verify, threads. */
class QuantizeReliabilityTest {

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

    /** Case 45: the target is replaced only by a complete file; a failing run leaves it and no temporary file. */
    @Test
    void outputIsAtomic() throws IOException {
        Path out = dir.resolve("out.gguf");
        Files.writeString(out, "previous contents");
        Cli.Result fail = Cli.run("quantize", "-q", model.toString(), out.toString(), "IQ2_XXS", "2");
        assertEquals(10, fail.exit(), fail.all());
        assertEquals("previous contents", Files.readString(out));
        assertEquals(List.of("out.gguf"), names(dir));
        Cli.Result ok = Cli.run("quantize", "-q", model.toString(), out.toString(), "Q8_0", "2");
        assertEquals(0, ok.exit(), ok.all());
        assertEquals(List.of("out.gguf"), names(dir), "no temporary file is left");
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(7, f.metadata().getLong("general.file_type"));
        }
    }

    /** Case 46: a run killed part-way leaves no target; the next run for the target removes its temporary file. */
    @ParameterizedTest
    @ValueSource(ints = {10, 50, 90})
    void killedRunLeavesNoTarget(int percent) throws Exception {
        Path out = dir.resolve("killed.gguf");
        QuantizeResult plan = Quantizer.quantize(model, out, QuantizeOptions.builder(FileType.IQ4_NL).dryRun(true)
                .build());
        long expected = plan.outputBytes();
        Process p = childJvm("quantize", "-q", "--max-buffer-size", "1", model.toString(), out.toString(), "IQ4_NL",
                "1");
        long seen = -1;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline && p.isAlive()) {
                Optional<Path> tmp = temp(dir);
                if (tmp.isPresent()) {
                    try {
                        seen = Files.size(tmp.get());
                    } catch (IOException gone) {
                        seen = -1;
                    }
                    if (seen * 100 >= expected * percent) {
                        break;
                    }
                }
                Thread.sleep(1);
            }
            assertTrue(p.isAlive(), "the run ended before " + percent + " % (" + seen + " of " + expected + " bytes)");
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        assertFalse(Files.exists(out), "a killed run left a target");
        assertTrue(temp(dir).isPresent(), "the killed run's temporary file should still be there");
        Cli.Result next = Cli.run("quantize", "-q", model.toString(), out.toString(), "Q8_0", "2");
        assertEquals(0, next.exit(), next.all());
        assertEquals(List.of("killed.gguf"), names(dir), "the next run removes the stale temporary file");
    }

    private static Optional<Path> temp(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(f -> f.getFileName().toString().endsWith(".tmp")).findFirst();
        }
    }

    static List<String> javaCommand(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"));
        String root = System.getProperty("ggml4j.root");
        if (root != null) {
            cmd.add("-Dggml4j.root=" + root);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static Process childJvm(String... args) throws IOException {
        return new ProcessBuilder(javaCommand(args)).redirectInput(new File("/dev/null"))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    /**
     * Case 47: a full disk (a 2 MiB tmpfs in a private mount namespace) is a clean storage error (exit 3), and
     * leaves nothing behind.
     */
    @Test
    void diskFullIsACleanError() throws Exception {
        Path mnt = Files.createDirectory(dir.resolve("small"));
        String java = String.join(" ", javaCommand("quantize", "-q", model.toString(),
                mnt.resolve("out.gguf").toString(), "Q8_0", "2").stream().map(QuantizeReliabilityTest::quote).toList());
        String script = "mount -t tmpfs -o size=2m tmpfs " + quote(mnt.toString()) + " || exit 99; " + java
                + "; echo \"rc=$?\"; echo \"left=$(ls -A " + quote(mnt.toString()) + " | tr '\\n' ' ')\"";
        Process p = new ProcessBuilder("unshare", "-rm", "sh", "-c", script).redirectErrorStream(true)
                .redirectInput(new File("/dev/null")).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "unshare/mount failed (needs root or user namespaces): " + text);
        assertTrue(text.contains("rc=3"), text);
        assertTrue(text.contains("No space left on device"), text);
        assertTrue(text.contains("left=\n") || text.strip().endsWith("left="), "files left on the full disk: " + text);
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** Case 48: the input as output, however it is spelled, is refused and the input stays as it was. */
    @Test
    void inputAsOutputIsRefused() throws IOException {
        Path in = dir.resolve("in.gguf");
        Files.copy(model, in);
        long size = Files.size(in);
        Path link = dir.resolve("link.gguf");
        Files.createSymbolicLink(link, in);
        for (String out : List.of(in.toString(), dir + "/./in.gguf", link.toString())) {
            Cli.Result r = Cli.run("quantize", "-q", in.toString(), out, "Q4_0", "2");
            assertEquals(10, r.exit(), r.all());
            assertTrue(r.err().contains("input and output files are the same"), r.err());
        }
        assertEquals(size, Files.size(in));
        assertEquals(-1, Files.mismatch(in, model));
        assertEquals(List.of("in.gguf", "link.gguf"), names(dir));
    }

    /** Case 49: --verify re-reads the output and prints each tensor's NMSE; damage is caught. */
    @Test
    void verifyMeasuresEveryTensor() throws IOException {
        Path out = dir.resolve("v.gguf");
        Cli.Result r = Cli.run("quantize", "-q", "--verify", model.toString(), out.toString(), "Q4_K_M", "2");
        assertEquals(0, r.exit(), r.all());
        int tensors;
        try (GgufFile f = GgufFile.open(out)) {
            tensors = f.tensors().size();
        }
        List<String> lines = r.out().lines().filter(l -> l.startsWith("verify ")).toList();
        assertEquals(tensors, lines.size(), r.out());
        for (String l : lines) {
            double nmse = Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
            boolean copied = l.contains("f32 -> f32");
            assertTrue(copied ? nmse == 0 : nmse > 0 && nmse < 0.02, l);
        }
        assertTrue(r.out().contains("verify: " + tensors + " tensors, worst NMSE"), r.out());

        Path damaged = dir.resolve("damaged.gguf");
        try (GgufFile f = GgufFile.open(out)) {
            GgufTensorInfo t = f.tensor("blk.3.attn_q.weight").orElseThrow();
            GgufWriter.copyOf(f).replaceTensor(t.name(), t.type(), t.shape(),
                    TensorSource.of(new byte[Math.toIntExact(t.byteSize())])).write(damaged);
        }
        QuantizeException e = assertThrows(QuantizeException.class, () -> Verifier.check(model, damaged, 2));
        assertTrue(e.getMessage().contains("blk.3.attn_q.weight"), e.getMessage());
        Path badCopy = dir.resolve("badcopy.gguf");
        try (GgufFile f = GgufFile.open(out)) {
            GgufTensorInfo t = f.tensor("output_norm.weight").orElseThrow();
            GgufWriter.copyOf(f).replaceTensor(t.name(), t.type(), t.shape(),
                    TensorSource.ofFloats(new float[Math.toIntExact(t.elementCount())])).write(badCopy);
        }
        assertThrows(QuantizeException.class, () -> Verifier.verify(model, badCopy, 1));
    }

    /** Case 50: the bytes do not depend on threads or slab size; rows not divisible by 256 fall back. */
    @Test
    void threadsAndSlabsDoNotChangeBytes() throws IOException {
        Path one = dir.resolve("t1.gguf");
        Path four = dir.resolve("t4.gguf");
        Path slabs = dir.resolve("t3.gguf");
        QuantizeResult r = Quantizer.quantize(model, one, QuantizeOptions.builder(FileType.Q4_K_M).threads(1).build());
        Quantizer.quantize(model, four, QuantizeOptions.builder(FileType.Q4_K_M).threads(4).build());
        Quantizer.quantize(model, slabs, QuantizeOptions.builder(FileType.Q4_K_M).threads(3)
                .maxBufferBytes(1 << 20).build());
        assertEquals(-1, Files.mismatch(one, four));
        assertEquals(-1, Files.mismatch(one, slabs));
        int fallbacks = 0;
        for (TensorPlan t : r.tensors()) {
            if (t.name().contains("ffn_down")) {
                assertTrue(t.fallback(), t.toString());
                assertTrue(t.to() == GgmlType.Q5_0 || t.to() == GgmlType.Q8_0, t.toString());
                fallbacks++;
            } else {
                assertFalse(t.fallback(), t.toString());
            }
        }
        assertEquals(8, fallbacks);
        assertEquals(8, r.fallbacks());
        assertArrayEquals(new long[] {352, 256}, r.tensors().stream().filter(t -> t.name().equals("blk.0.ffn_down.weight"))
                .findFirst().orElseThrow().shape());
    }
}
