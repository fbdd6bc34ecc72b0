package io.github.ggml4j.cli;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufArray;
import io.github.ggml4j.gguf.GgufValue;
import io.github.ggml4j.gguf.GgufValueType;
import io.github.ggml4j.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ggml4j gguf}: text and JSON dumps, abbreviation, hostile strings, and errors as exit codes. */
class GgufCommandTest {

    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(exit, out.toString(), err.toString());
    }

    private Path sample() {
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            tokens.add("tok" + i);
        }
        Path p = dir.resolve("m.gguf");
        new GgufWriter()
                .putString("general.architecture", "llama")
                .putString("general.name", "%n%s %x ../../etc/passwd 'quoted'\nsecond line")
                .putUInt32("llama.context_length", 4096)
                .putUInt64("big", -1L)
                .putFloat32("eps", 1e-5f)
                .put("flag", new GgufValue.Bool(true))
                .putStrings("tokenizer.ggml.tokens", tokens)
                .putFloats("tokenizer.ggml.scores", 0.5f, Float.NaN)
                .put("nested", GgufArray.of(GgufValueType.ARRAY, List.of(GgufArray.ofInts(1, 2), GgufArray.ofInts())))
                .addTensor("token_embd.weight", GgmlType.Q8_0, new long[] {32, 3}, new byte[34 * 3])
                .addTensor("output_norm.weight", new float[] {1, 2, 3, 4})
                .write(p);
        return p;
    }

    @Test
    void textDump() {
        Result r = run("gguf", sample().toString());
        assertEquals(0, r.exit(), r.err());
        String out = r.out();
        assertTrue(out.contains("* GGUF v3, alignment 32, 2 tensor(s), 9 key/value pair(s), data at byte "), out);
        assertTrue(out.contains("| 'general.architecture' = 'llama'"), out);
        assertTrue(out.contains("u32      |        1 | 'llama.context_length' = 4096"), out);
        assertTrue(out.contains("'big' = 18446744073709551615"), out);
        assertTrue(out.contains("[str]    |     1000 | 'tokenizer.ggml.tokens' = ['tok0', 'tok1', 'tok2', 'tok3', 'tok4', ... (1000 items)]"), out);
        assertTrue(out.contains("'tokenizer.ggml.scores' = [0.5, NaN]"), out);
        assertTrue(out.contains("'nested' = [[1, 2], []]"), out);
        assertTrue(out.contains("q8_0    | [32, 3]"), out);
        assertTrue(out.contains("| 'output_norm.weight'"), out);
        // metadata is shown as data: no format expansion, no raw newline
        assertTrue(out.contains("'%n%s %x ../../etc/passwd \\'quoted\\'\\nsecond line'"), out);
        assertFalse(out.contains("\nsecond line"), out);
        assertFalse(out.contains("tok5'"), out);
        assertTrue(run("gguf", "--full", sample().toString()).out().contains("'tok999']"));
    }

    @Test
    void jsonDumpIsValidJsonWithTheSameContent() throws Exception {
        Result r = run("gguf", "--json", sample().toString());
        assertEquals(0, r.exit(), r.err());
        String json = r.out();
        assertTrue(json.contains("\"general.name\": {\n      \"type\": \"str\",\n      \"value\": \"%n%s %x ../../etc/passwd 'quoted'\\nsecond line\""), json);
        assertTrue(json.contains("\"count\": 1000"), json);
        assertTrue(json.contains("\"truncated\": true"), json);
        assertTrue(json.contains("\"value\": 18446744073709551615"), json);
        assertTrue(json.contains("\"NaN\""), json);
        assertTrue(json.contains("\"name\": \"token_embd.weight\""), json);
        assertTrue(json.contains("\"type\": \"q8_0\""), json);
        // an independent parser agrees it is JSON, and reads the values back
        String check = python("import json,sys; d=json.load(sys.stdin); "
                + "print(d['metadata']['llama.context_length']['value'], d['tensors'][0]['shape'], "
                + "len(d['metadata']['tokenizer.ggml.tokens']['value']), d['metadata']['general.name']['value'][:6])", json);
        assertEquals("4096 [32, 3] 5 %n%s %", check.strip());
    }

    private String python(String program, String stdin) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder("python3", "-c", program).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("python3 is needed to validate the JSON output: " + e.getMessage(), e);
        }
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void embeddedGgufAtAnOffset() throws IOException {
        byte[] inner = Files.readAllBytes(sample());
        byte[] outer = new byte[inner.length + 100];
        System.arraycopy(inner, 0, outer, 100, inner.length);
        Path p = dir.resolve("outer.bin");
        Files.write(p, outer);
        Result r = run("gguf", "--offset", "100", p.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("(GGUF starts at 100)"), r.out());
    }

    @Test
    void errorsAreOneLineAndTyped() throws IOException {
        Path bad = dir.resolve("bad.gguf");
        Files.write(bad, "GGUF\u0003\u0000\u0000\u0000".getBytes(StandardCharsets.ISO_8859_1));
        Result r = run("gguf", bad.toString());
        assertEquals(4, r.exit());
        assertTrue(r.err().startsWith("ggml4j: "), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("file ends"), r.err());
        assertEquals("", r.out());

        Result missing = run("gguf", dir.resolve("absent.gguf").toString());
        assertEquals(3, missing.exit());
        assertTrue(missing.err().contains("no such file"), missing.err());

        assertEquals(2, run("gguf").exit());
    }
}
