package io.github.ggml4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --grammar} and {@code --grammar-file} on generate and chat; a bad grammar is exit code 16 naming line and column. */
class GrammarCliTest {

    @TempDir
    Path dir;

    @Test
    void generateFollowsTheGrammar() throws IOException {
        Path model = CliModels.LLAMA_F32.cached();
        Cli.Result r = Cli.run("generate", "-m", model.toString(), "-p", "Hello", "-n", "8", "-t", "1",
                "--grammar", "root ::= \"yes\" | \"no\"");
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.out().equals("yes\n") || r.out().equals("no\n"), r.all());

        Path file = dir.resolve("digits.gbnf");
        Files.writeString(file, "# three digits\nroot ::= [0-9]{3}\n");
        Cli.Result f = Cli.run("generate", "-m", model.toString(), "-p", "Hello", "-n", "8", "-t", "1", "--temp", "1",
                "-s", "3", "--grammar-file", file.toString());
        assertEquals(0, f.exit(), f.all());
        assertTrue(f.out().matches("[0-9]{3}\n"), f.all());
    }

    @Test
    void badGrammarIsATypedExit() {
        Path model = CliModels.LLAMA_F32.cached();
        Cli.Result r = Cli.run("generate", "-m", model.toString(), "-p", "Hello", "-n", "8",
                "--grammar", "root ::= \"a\"\nitem ::= [a-z");
        assertEquals(16, r.exit(), r.all());
        assertTrue(r.err().contains("line 2, column"), r.all());
        Cli.Result missing = Cli.run("generate", "-m", model.toString(), "-p", "Hello", "-n", "8",
                "--grammar-file", dir.resolve("none.gbnf").toString());
        assertEquals(ExitCodes.USAGE, missing.exit(), missing.all());
        Cli.Result both = Cli.run("chat", "-m", model.toString(), "--grammar", "root ::= \"a\"",
                "--grammar-file", "x.gbnf");
        assertEquals(ExitCodes.USAGE, both.exit(), both.all());
        Cli.Result chat = Cli.run("chat", "-m", model.toString(), "--grammar", "root ::= (");
        assertEquals(16, chat.exit(), chat.all());
    }
}
