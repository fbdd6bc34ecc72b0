package io.github.ggml4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line without a model: help, usage errors and their exit codes. */
class MainCommandTest {

    private record Result(int exit, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(exit, out.toString(), err.toString());
    }

    @Test
    void helpListsEverySubcommand() {
        Result r = run("--help");
        assertEquals(0, r.exit());
        assertEquals("", r.err());
        assertTrue(r.out().startsWith("Usage: ggml4j "), r.out());
        for (String c : List.of("info", "gguf", "generate", "tokenize", "bench", "help")) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("  " + c + " ")), c + " missing:\n" + r.out());
        }
        // no command: the same overview
        assertEquals(r.out(), run().out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"info", "gguf", "generate", "tokenize", "bench"})
    void eachSubcommandHasHelp(String command) {
        Result r = run(command, "--help");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("Usage: ggml4j " + command), r.out());
        assertEquals(r.out(), run("help", command).out());
    }

    @Test
    void generateOptionsAreDocumented() {
        String help = run("generate", "--help").out();
        for (String o : List.of("-m, --model", "-p, --prompt", "-n, --n-predict", "--temp", "-t, --threads",
                "-c, --ctx-size", "-b, --batch-size", "-fa, --flash-attn", "--stop", "--no-repack")) {
            assertTrue(help.contains(o), o + " missing:\n" + help);
        }
    }

    @Test
    void versionNamesGgml4j() {
        Result r = run("--version");
        assertEquals(0, r.exit());
        assertTrue(r.out().startsWith("ggml4j "), r.out());
    }

    @Test
    void unknownCommandIsAUsageError() {
        Result r = run("generte");
        assertEquals(2, r.exit());
        assertEquals("", r.out());
        assertTrue(r.err().contains("Unmatched argument at index 0: 'generte'"), r.err());
        assertTrue(r.err().contains("Did you mean: ggml4j generate"), r.err());
    }

    @Test
    void missingRequiredOptionIsAUsageError() {
        // generate and chat default to the committed demo model; the other model commands still need -m
        Result r = run("bench", "-p", "8");
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("ggml4j: Missing required option: '--model=<model>'"), r.err());
        assertEquals(2, run("tokenize", "-m", "x.gguf").exit());
    }

    @Test
    void badNumberIsAUsageError() {
        Result r = run("generate", "-m", "x.gguf", "-p", "hi", "-n", "many");
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("Invalid value for option '--n-predict': 'many' is not an int"), r.err());
    }

    @Test
    void invalidSamplingIsRefusedBeforeTheModelIsRead() {
        // the sampling flags are checked first (case 38), so even a missing file gives the usage error
        Result r = run("generate", "-m", "absent.gguf", "-p", "hi", "--top-p", "1.5");
        assertEquals(2, r.exit());
        assertEquals("ggml4j: sampling flags: top-p must be in [0, 1], got 1.5\n", r.err());
        assertFalse(r.out().contains("ggml4j"), r.out());
    }
}
