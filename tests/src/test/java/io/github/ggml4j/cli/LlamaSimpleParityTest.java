package io.github.ggml4j.cli;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.session.FinishReason;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.tokenizer.StreamingDecoder;
import io.github.ggml4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Text-level parity: 32 greedy tokens from ggml4j ({@link Session#generate} and {@code ggml4j generate}) are
 * byte for byte what llama.cpp's {@code llama-simple} and {@code llama-completion --temp 0} print for the same
 * file and prompt. This covers what the token-id parity tests do not: tokenizing the prompt text (BOS,
 * special-token parsing), detokenizing (the first token's leading space, multi-byte pieces, special pieces), and
 * end-of-generation; it also shows that files from ggml4j's GGUF writer load in llama.cpp. ggml4j runs on one
 * thread (two spin-waiting threads crawl on a busy two-core machine), llama-simple on its fixed four: ggml's
 * CPU results do not depend on the thread count.
 */
class LlamaSimpleParityTest {

    static final int N_PREDICT = 32;
    static final List<String> REPORT = new CopyOnWriteArrayList<>();

    /** A model and prompt; {@code endsEarly}: the model is made to generate EOS before {@link #N_PREDICT}. */
    record Case(String name, Supplier<Path> model, String prompt, boolean endsEarly) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** ggml4j's generation for one case, computed once and shared by the three comparisons. */
    record Ours(Path file, int[] promptTokens, byte[] promptEcho, Generation generation, byte[] rendered,
                byte[] plain, String renderedText) {
    }

    static final Map<String, Ours> OURS = new ConcurrentHashMap<>();

    static List<Case> cases() {
        return List.of(
                new Case("llama F32", CliModels.LLAMA_F32::cached, "Hello my name is", false),
                // multi-byte characters, a newline, and text that ends without a space
                new Case("llama Q4_0", CliModels.LLAMA_Q4_0::cached, "Grüße aus Köln, 世界!\nZeile zwei:", false),
                // no BOS for qwen2; a special token given as text must be parsed as one token
                new Case("qwen2 Q8_0", CliModels.QWEN2_Q8_0::cached, "<|im_start|>user\nThe quick brown fox", false),
                new Case("llama F32 early EOS", CliModels::llamaWithEarlyEos, CliModels.EOS_PROMPT, true));
    }

    static Ours ours(Case c) {
        return OURS.computeIfAbsent(c.name(), k -> {
            Path file = c.model().get();
            try (Model m = Model.load(file, ModelOptions.defaults().withThreads(1).withContextSize(512));
                 Session s = m.newSession(SessionOptions.defaults().withContextSize(512))) {
                Tokenizer t = m.tokenizer();
                // what llama-simple tokenizes (add_special, parse_special) and echoes (pieces with special text)
                int[] promptTokens = t.encode(c.prompt(), true, true);
                Generation g = s.generate(c.prompt(), GenerateOptions.greedy(N_PREDICT));
                byte[] rendered = pieces(t, g.tokens(), true);
                // the stream's bytes decoded at once: whole characters, U+FFFD for each byte of a broken sequence
                StreamingDecoder whole = t.streamingDecoder(true);
                String text = whole.nextBytes(rendered) + whole.finish();
                return new Ours(file, promptTokens, pieces(t, promptTokens, true), g, rendered,
                        pieces(t, g.tokens(), false), text);
            }
        });
    }

    static byte[] pieces(Tokenizer t, int[] ids, boolean special) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int id : ids) {
            b.writeBytes(t.tokenBytes(id, special));
        }
        return b.toByteArray();
    }

    @AfterAll
    static void report() {
        REPORT.forEach(System.out::println);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void llamaSimplePrintsTheSameText(Case c) {
        Ours o = ours(c);
        Generation g = o.generation();
        ReferenceTool.Output ref = ReferenceTool.check(60, "llama-simple", "-m", o.file().toString(),
                "-n", Integer.toString(N_PREDICT), c.prompt());
        // llama-simple prints the prompt's pieces, one piece per generated token (none for an end-of-generation
        // token), then a newline; its logs go to stderr
        assertBytes(concat(o.promptEcho(), o.rendered(), new byte[] {'\n'}), ref.stdout(),
                c + ": llama-simple's stdout");
        assertTrue(ref.stderr().contains("main: decoded " + g.tokens().length + " tokens"),
                c + ": llama-simple's count of generated tokens");
        if (c.endsEarly()) {
            assertEquals(FinishReason.END_OF_GENERATION, g.finishReason(), c.name());
            assertTrue(g.tokens().length > 0, c + ": EOS came first");
        } else {
            assertEquals(N_PREDICT, g.tokens().length, c + ": " + g.finishReason());
        }
        // token by token, the streamed text is what those bytes decode to as a whole
        assertEquals(o.renderedText(), g.text(), c.name());
        REPORT.add(String.format("%s: %d prompt tokens, %d generated tokens (%s) identical to llama-simple: %s",
                c, o.promptTokens().length, g.tokens().length, g.finishReason(), quote(g.text())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void llamaCompletionPrintsTheSameText(Case c) {
        Ours o = ours(c);
        // llama-completion renders pieces without special-token text, marks an end of generation, and ends with
        // "\n\n"
        boolean eog = o.generation().finishReason() == FinishReason.END_OF_GENERATION;
        byte[] expected = concat(o.plain(), (eog ? " [end of text]\n" : "").getBytes(StandardCharsets.UTF_8),
                new byte[] {'\n', '\n'});
        ReferenceTool.Output ref = ReferenceTool.check(60, "llama-completion", "-m", o.file().toString(), "-p",
                c.prompt(), "-n", Integer.toString(N_PREDICT), "--temp", "0", "-s", "1", "-t", "1",
                "-no-cnv", "--no-escape", "--no-display-prompt", "--no-warmup");
        assertBytes(expected, ref.stdout(), c + ": llama-completion's stdout");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void cliGeneratePrintsTheSameText(Case c) {
        Ours o = ours(c);
        Cli.Result r = Cli.run("generate", "-m", o.file().toString(), "-p", c.prompt(),
                "-n", Integer.toString(N_PREDICT), "-t", "1", "-c", "512");
        assertEquals(0, r.exit(), r.all());
        assertEquals(o.generation().text() + "\n", r.out(), c.name());
        assertTrue(r.err().contains(", finish: " + (c.endsEarly() ? "end_of_generation" : "max_tokens")), r.all());
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    /** Byte equality, reported as text and as hex around the first difference. */
    static void assertBytes(byte[] expected, byte[] actual, String what) {
        int at = Arrays.mismatch(expected, actual);
        if (at < 0) {
            return;
        }
        int from = Math.max(0, at - 16);
        throw new AssertionError(what + " differs at byte " + at + "\n  expected: "
                + quote(new String(expected, StandardCharsets.UTF_8)) + "\n  actual:   "
                + quote(new String(actual, StandardCharsets.UTF_8)) + "\n  expected hex from " + from + ": "
                + hex(expected, from) + "\n  actual hex from " + from + ":   " + hex(actual, from));
    }

    private static String hex(byte[] b, int from) {
        return HexFormat.ofDelimiter(" ").formatHex(b, from, Math.min(b.length, from + 48));
    }

    static String quote(String s) {
        return "'" + s.replace("\n", "\\n") + "'";
    }
}
