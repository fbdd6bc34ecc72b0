package io.github.ggml4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Case 62: arguments are taken literally; long prompts come from -f FILE; errors name the flags. */
class CliInputTest {

    static Path model() {
        return CliModels.LLAMA_F32.cached();
    }

    static int promptTokens(Cli.Result r) {
        String line = r.err().lines().filter(l -> l.startsWith("ggml4j: prompt ")).findFirst().orElseThrow(
                () -> new AssertionError("no timing line:\n" + r.err()));
        return Integer.parseInt(line.substring("ggml4j: prompt ".length()).split(" ")[0]);
    }

    @Test
    void anAtSignIsPartOfThePromptAndFileTheFileFlagReads(@TempDir Path dir) throws Exception {
        Path notes = dir.resolve("notes.txt");
        Files.writeString(notes, "two words", StandardCharsets.UTF_8);
        Cli.Result literal = Cli.run("generate", "-m", model().toString(), "-p", "@" + notes, "-n", "2", "--temp", "0");
        assertEquals(0, literal.exit(), literal.err());
        Cli.Result fromFile = Cli.run("generate", "-m", model().toString(), "-f", notes.toString(), "-n", "2");
        assertEquals(0, fromFile.exit(), fromFile.err());
        Cli.Result typed = Cli.run("generate", "-m", model().toString(), "-p", "two words", "-n", "2");
        assertEquals(promptTokens(typed), promptTokens(fromFile), "-f reads the file's text");
        assertTrue(promptTokens(literal) > promptTokens(fromFile), "-p @FILE is the literal text, a path");
        assertEquals(typed.out(), fromFile.out());
    }

    @Test
    void badValuesAreOneLineErrorsThatNameTheFlag() {
        Cli.Result n = Cli.run("generate", "-m", model().toString(), "-p", "hi", "-n", "0");
        assertEquals(ExitCodes.USAGE, n.exit());
        assertTrue(n.err().contains("-n/--n-predict"), n.err());
        Cli.Result c = Cli.run("generate", "-m", model().toString(), "-p", "hi", "-c", "-5");
        assertTrue(c.err().contains("-c/--ctx-size"), c.err());
        Cli.Result none = Cli.run("generate", "-m", model().toString(), "-n", "2");
        assertTrue(none.err().contains("-p TEXT or -f FILE"), none.err());
        Cli.Result gpu = Cli.run("generate", "-m", model().toString(), "-p", "hi", "--gpu-layers", "2");
        assertTrue(gpu.exit() != 0 && gpu.err().contains("GPU"), gpu.err());
        Cli.Result missing = Cli.run("generate", "-m", model().toString(), "-f", "/no/such/prompt.txt");
        assertEquals(3, missing.exit(), missing.err());
        assertTrue(missing.err().contains("/no/such/prompt.txt"), missing.err());
    }
}
