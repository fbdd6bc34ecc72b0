package io.github.ggml4j.cli;

import io.github.ggml4j.testing.SyntheticLlama;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ggml4j chat}: one message from a pipe, line mode with /reset and /exit, errors naming flags. */
class ChatCommandTest {

    static Path model() {
        return SyntheticLlama.qwen2(64, 2, 4, 2, 128).withStd(0.1).withSeed(11).cached();
    }

    @Test
    void aPipedMessageIsAnsweredOnce() {
        Cli.Result r = Cli.runWithInput("What is two plus two?\n", "chat", "-m", model().toString(), "-n", "4",
                "--temp", "0", "-t", "2");
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.err().contains("chat template: the model file's"), r.all());
        assertTrue(r.err().contains("prompt ") && r.err().contains("0 reused") && r.err().contains("reply 4 tokens"),
                r.all());
        assertEquals(1, r.err().lines().filter(l -> l.contains("reply ")).count(), r.all());
    }

    @Test
    void lineModeKeepsTheConversationUntilResetAndStopsAtExit() {
        Cli.Result r = Cli.runWithInput("first message\nsecond message\n/reset\nthird message\n/exit\nnever sent\n",
                "chat", "-m", model().toString(), "-n", "3", "--temp", "0", "-i", "-sys", "Be brief.", "-t", "2");
        assertEquals(0, r.exit(), r.all());
        var turns = r.err().lines().filter(l -> l.contains("reply ")).toList();
        assertEquals(3, turns.size(), r.all());
        assertTrue(turns.get(0).contains("(0 reused"), turns.get(0));
        assertTrue(!turns.get(1).contains("(0 reused"), "the second turn reuses the first: " + turns.get(1));
        assertTrue(r.err().contains("conversation reset"), r.all());
        assertTrue(turns.get(2).contains("(0 reused"), "after /reset nothing is reused: " + turns.get(2));
    }

    @Test
    void badInputIsAOneLineErrorNamingTheFlag() {
        Cli.Result temp = Cli.runWithInput("hi", "chat", "-m", model().toString(), "--top-p", "1.5");
        assertEquals(2, temp.exit(), temp.all());
        assertTrue(temp.err().contains("top-p") && temp.err().lines().count() == 1, temp.all());
        Cli.Result n = Cli.runWithInput("hi", "chat", "-m", model().toString(), "-n", "0");
        assertTrue(n.err().contains("-n/--n-predict"), n.all());
        Cli.Result empty = Cli.runWithInput("", "chat", "-m", model().toString());
        assertEquals(2, empty.exit(), empty.all());
        assertTrue(empty.err().contains("no message"), empty.all());
        Cli.Result tpl = Cli.runWithInput("hi", "chat", "-m", model().toString(), "--chat-template-file",
                "/no/such/template.jinja");
        assertEquals(3, tpl.exit(), tpl.all());
    }

    @Test
    void aHostileTemplateIsATypedError() throws Exception {
        Path t = java.nio.file.Files.createTempFile("hostile", ".jinja");
        java.nio.file.Files.writeString(t, "{{ messages.getClass().forName('java.lang.Runtime') }}");
        Cli.Result r = Cli.runWithInput("hi", "chat", "-m", model().toString(), "--chat-template-file", t.toString());
        assertEquals(15, r.exit(), r.all());
        assertTrue(r.err().contains("sandbox"), r.all());
    }
}
