package io.github.ggml4j.cli;

import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufValue;
import io.github.ggml4j.gguf.GgufWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ggml4j generate}: what goes to stdout and stderr, stop strings, and each failure as a typed exit code. */
class GenerateCommandTest {

    static final Pattern TIMING = Pattern.compile(
            "ggml4j: prompt (\\d+) tokens \\([0-9.]+ t/s\\), generated (\\d+) tokens \\([0-9.]+ t/s\\), finish: (\\w+)");

    static Path model;
    /** What 16 greedy tokens after {@link #PROMPT} read as, from a plain run. */
    static String text16;

    static final String PROMPT = "Hello my name is";

    @TempDir
    Path dir;

    @BeforeAll
    static void plainRun() {
        model = CliModels.LLAMA_F32.cached();
        Cli.Result r = Cli.run("generate", "-m", model.toString(), "-p", PROMPT, "-n", "16", "-t", "1");
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.out().endsWith("\n"), r.all());
        text16 = r.out().substring(0, r.out().length() - 1);
        assertTrue(text16.length() > 16, r.all());
    }

    /** The CPU path switches (llama.cpp's spirit: --no-repack, --no-amx) leave a greedy run's text as it was. */
    @Test
    void cpuPathFlagsKeepTheText() {
        Path q4 = CliModels.LLAMA_Q4_0.cached();
        Cli.Result plain = Cli.run("generate", "-m", q4.toString(), "-p", PROMPT, "-n", "8", "-t", "1", "--no-repack");
        assertEquals(0, plain.exit(), plain.all());
        for (String[] flags : new String[][] {{}, {"--no-amx"}, {"--cpu-disable", "CPU_REPACK,AMX"}, {"--cpu-disable=amx"}}) {
            String[] args = java.util.stream.Stream.concat(java.util.stream.Stream.of("generate", "-m", q4.toString(),
                    "-p", PROMPT, "-n", "8", "-t", "1"), java.util.Arrays.stream(flags)).toArray(String[]::new);
            Cli.Result r = Cli.run(args);
            assertEquals(0, r.exit(), r.all());
            assertEquals(plain.out(), r.out(), String.join(" ", flags));
        }
        Cli.Result bad = Cli.run("generate", "-m", q4.toString(), "-p", PROMPT, "-n", "8", "--cpu-disable", " ");
        assertEquals(ExitCodes.USAGE, bad.exit(), bad.all());
    }

    @Test
    void stdoutHoldsOnlyTheTextAndStderrTheTimings() throws IOException {
        // a real process: native and library logs would land on its stdout, which must hold only the text
        Cli.Result r = Cli.process(dir, "generate", "-m", model.toString(), "-p", PROMPT, "-n", "16", "-t", "1");
        assertEquals(0, r.exit(), r.all());
        assertEquals(text16 + "\n", r.out(), r.all());
        String err = r.err();
        var m = TIMING.matcher(err);
        assertTrue(m.find(), err);
        assertEquals("5", m.group(1), err); // BOS and four pieces
        assertEquals("16", m.group(2), err);
        assertEquals("max_tokens", m.group(3), err);
        // the INFO line about where natives came from is for --verbose runs only
        assertFalse(err.contains("INFO"), err);
        assertEquals(1, err.lines().count(), err);
    }

    @Test
    void textIsUtf8UnderAnAsciiLocale() throws IOException {
        // under LC_ALL=C the JVM's stdout charset is ASCII; the text must still come out as its UTF-8 bytes
        assertTrue(text16.chars().anyMatch(ch -> ch > 127), "the model's text should hold non-ASCII: " + text16);
        Cli.Result r = Cli.process(dir, Map.of("LC_ALL", "C", "LANG", "", "LC_CTYPE", ""),
                "generate", "-m", model.toString(), "-p", PROMPT, "-n", "16", "-t", "1");
        assertEquals(0, r.exit(), r.all());
        assertEquals(text16 + "\n", r.out(), r.all());
    }

    @Test
    void flashAttentionOffGivesTheSameText() {
        Cli.Result r = Cli.run("generate", "-m", model.toString(), "-p", PROMPT, "-n", "3", "-t", "1", "-fa", "off");
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.out().endsWith("\n"), r.all());
        assertTrue(text16.startsWith(r.out().substring(0, r.out().length() - 1)), r.all());
        var m = TIMING.matcher(r.err());
        assertTrue(m.find(), r.all());
        assertEquals("3", m.group(2));
    }

    @Test
    void stopStringCutsTheText() {
        // a stop string from the middle of the plain run's text: the output ends right before it
        String stop = text16.substring(text16.length() / 2, text16.length() / 2 + 4);
        String expected = text16.substring(0, text16.indexOf(stop));
        Cli.Result r = Cli.run("generate", "-m", model.toString(), "-p", PROMPT, "-n", "16", "-t", "1",
                "--stop", "no such text", "--stop", stop);
        assertEquals(0, r.exit(), r.all());
        assertEquals(expected + "\n", r.out(), "stop '" + stop + "'");
        assertTrue(r.err().contains("finish: stop_string"), r.all());
    }

    @Test
    void invalidSamplingValuesAreUsageErrors() {
        assertOneLineError(Cli.run("generate", "-m", model.toString(), "-p", PROMPT, "--temp", "NaN"), 2, "temperature");
        assertOneLineError(Cli.run("generate", "-m", model.toString(), "-p", PROMPT, "--min-p", "-1"), 2, "min-p");
        assertOneLineError(Cli.run("generate", "-m", model.toString(), "-p", PROMPT, "--mirostat", "3"), 2, "mirostat");
    }

    @Test
    void badFlashAttentionValueIsAUsageError() {
        assertOneLineError(Cli.run("generate", "-m", model.toString(), "-p", PROMPT, "-fa", "sometimes"), 2,
                "--flash-attn");
    }

    @Test
    void promptLongerThanTheContextIsExit6() {
        String longPrompt = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen";
        Cli.Result r = Cli.run("generate", "-m", model.toString(), "-p", longPrompt, "-c", "8", "-n", "4", "-t", "1");
        assertOneLineError(r, 6, "context");
    }

    @Test
    void missingModelIsAStorageError() {
        Cli.Result r = Cli.run("generate", "-m", dir.resolve("absent.gguf").toString(), "-p", PROMPT);
        assertOneLineError(r, 3, "absent.gguf");
    }

    @Test
    void directoryIsAStorageErrorThatSaysSo() {
        assertOneLineError(Cli.run("generate", "-m", dir.toString(), "-p", PROMPT), 3, "it is a directory");
    }

    @Test
    void nonGgufFileIsAFormatError() throws IOException {
        Path notGguf = dir.resolve("notes.txt");
        Files.writeString(notGguf, "these are not the weights you are looking for\n");
        assertOneLineError(Cli.run("generate", "-m", notGguf.toString(), "-p", PROMPT), 4, "not a GGUF file");
    }

    @Test
    void unknownArchitectureIsAModelError() {
        Path nope = dir.resolve("nope.gguf");
        try (GgufFile f = GgufFile.open(model)) {
            GgufWriter w = GgufWriter.copyOf(f);
            w.set("general.architecture", new GgufValue.Str("nope"));
            w.write(nope);
        }
        assertOneLineError(Cli.run("generate", "-m", nope.toString(), "-p", PROMPT, "-t", "1"), 5, "nope");
    }

    static void assertOneLineError(Cli.Result r, int exit, String mentions) {
        assertEquals(exit, r.exit(), r.all());
        assertEquals("", r.out(), r.all());
        assertTrue(r.err().startsWith("ggml4j: "), r.all());
        assertEquals(1, r.err().lines().count(), r.all());
        assertTrue(r.err().contains(mentions), r.all());
    }
}
