package io.github.ggml4j.cli;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.testing.SyntheticRwkv;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI on RWKV files, unchanged: {@code tokenize} gives {@code llama-tokenize}'s ids for the synthetic world
 * vocabulary (single bytes, escaped {@code \n \t \\ \xHH} tokens, the same bytes stored twice, multi-byte
 * UTF-8, control text), {@code generate} prints what {@code llama-simple} prints, and {@code bench} runs.
 */
class RwkvCliTest {

    static final List<String> TEXTS = List.of(
            "Hello world",
            "Hello world\n\nthe end\n\n\n",
            "\ttabs\t\tand  spaces    return",
            "Grüße, 世界! 🦙 café naïve über",
            "a literal \\n and \\\\ backslashes",
            "<s>control text</s> <|im_start|>",
            "bytes \u0001\u007f end",
            "3333 numbers 12.5 2025 def f():\n    return");

    static Path file(int version) {
        return (version == 6 ? SyntheticRwkv.rwkv6(256, 2) : SyntheticRwkv.rwkv7(256, 2))
                .withWeightType(GgmlType.Q8_0).cached().toAbsolutePath();
    }

    @Test
    void tokenizeEqualsLlamaTokenize() {
        String f = file(7).toString();
        for (String text : TEXTS) {
            for (boolean special : new boolean[] {true, false}) {
                List<String> ours = new java.util.ArrayList<>(List.of("tokenize", "-m", f, "-p", text, "--ids"));
                List<String> ref = new java.util.ArrayList<>(List.of("-m", f, "-p", text, "--ids", "--log-disable",
                        "--no-escape"));
                if (!special) {
                    ours.add("--no-parse-special");
                    ref.add("--no-parse-special");
                }
                Cli.Result r = Cli.run(ours.toArray(String[]::new));
                assertEquals(0, r.exit(), r.all());
                String expected = ReferenceTool.check(60, "llama-tokenize", ref.toArray(String[]::new)).text();
                assertTrue(expected.matches("\\[[0-9, ]*\\]\n"), expected);
                assertEquals(expected, r.out(), "'" + text + "' special=" + special);
            }
        }
    }

    @ParameterizedTest(name = "rwkv{0}")
    @ValueSource(ints = {6, 7})
    void generatePrintsWhatLlamaSimplePrints(int version) {
        String f = file(version).toString();
        String prompt = "Hello world, the";
        Cli.Result r = Cli.run("generate", "-m", f, "-p", prompt, "-n", "24", "--temp", "0", "-t", "2");
        assertEquals(0, r.exit(), r.all());
        ReferenceTool.Output ref = ReferenceTool.check(60, "llama-simple", "-m", f, "-n", "24", prompt);
        assertEquals(prompt + r.out(), new String(ref.stdout(), StandardCharsets.UTF_8),
                "llama-simple echoes the prompt, then the same generated text");
        assertTrue(r.out().length() > 8, r.all());
    }

    @ParameterizedTest(name = "rwkv{0}")
    @ValueSource(ints = {6, 7})
    void benchRunsOnAnRwkvFile(int version) {
        Cli.Result r = Cli.run("bench", "-m", file(version).toString(), "-p", "16", "-n", "4", "-r", "1", "-t", "1");
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.out().contains("pp16") && r.out().contains("tg4"), r.out());
        assertTrue(r.out().contains("rwkv" + version), r.out());
    }
}
