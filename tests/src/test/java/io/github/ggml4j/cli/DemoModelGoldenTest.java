package io.github.ggml4j.cli;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufTensorInfo;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.session.FinishReason;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed demo model ({@code models/ggml4j-demo-q8_0.gguf}, trained by {@code ./ggml4j train}): at
 * temperature 0 its continuation of a fixed prompt is the committed text {@code models/ggml4j-demo.golden.txt},
 * which was written from llama.cpp's {@code llama-completion} output for the same file (see models/README.md);
 * ggml4j's session, ggml4j's command line without {@code -m}, and llama.cpp's llama-completion and llama-simple
 * must all print exactly that text.
 */
class DemoModelGoldenTest {

    static final String PROMPT = "Once upon a time";
    static final int N_PREDICT = 48;

    static Path root() {
        return Path.of(System.getProperty("ggml4j.root", ".."));
    }

    static Path model() {
        return root().resolve(DefaultModel.RELATIVE);
    }

    static String golden() throws IOException {
        return Files.readString(root().resolve("models/ggml4j-demo.golden.txt"), StandardCharsets.UTF_8);
    }

    static Generation ours() {
        try (Model m = Model.load(model(), ModelOptions.defaults().withThreads(1).withContextSize(256));
             Session s = m.newSession(SessionOptions.defaults().withContextSize(256))) {
            return s.generate(PROMPT, GenerateOptions.greedy(N_PREDICT));
        }
    }

    @Test
    void theCommittedModelIsASmallQ8Llama() throws IOException {
        assertTrue(Files.size(model()) <= 16L << 20, "at most 16 MiB: " + Files.size(model()));
        try (GgufFile g = GgufFile.open(model())) {
            assertEquals("llama", g.metadata().architecture());
            assertEquals("gpt2", g.metadata().getString("tokenizer.ggml.model"));
            assertEquals(4096, g.metadata().getStringArray("tokenizer.ggml.tokens").size());
            for (GgufTensorInfo t : g.tensors()) {
                if (t.nDims() == 2) {
                    assertEquals(GgmlType.Q8_0, t.type(), t.name());
                }
            }
        }
    }

    @Test
    void sessionAtTemperatureZeroPrintsTheGoldenText() throws IOException {
        Generation g = ours();
        assertEquals(golden(), g.text());
        assertEquals(FinishReason.MAX_TOKENS, g.finishReason());
        assertFalse(g.text().isBlank());
    }

    @Test
    void generateWithoutModelOptionUsesTheDemoModel() throws IOException {
        Cli.Result r = Cli.run("generate", "-p", PROMPT, "-n", Integer.toString(N_PREDICT), "--temp", "0", "-t", "1");
        assertEquals(0, r.exit(), r.all());
        assertEquals(golden() + "\n", r.out());
    }

    @Test
    void chatWithoutModelOptionUsesTheDemoModel() {
        Cli.Result r = Cli.runWithInput("Why is the sky blue?\n", "chat", "-n", "16", "--temp", "0", "-t", "1");
        assertEquals(0, r.exit(), r.all());
        assertFalse(r.out().isBlank(), r.all());
    }

    @Test
    void llamaCompletionPrintsTheGoldenText() throws IOException {
        byte[] expected = (golden() + "\n\n").getBytes(StandardCharsets.UTF_8);
        ReferenceTool.Output ref = ReferenceTool.check(120, "llama-completion", "-m", model().toString(), "-p",
                PROMPT, "-n", Integer.toString(N_PREDICT), "--temp", "0", "-s", "1", "-t", "1",
                "-no-cnv", "--no-escape", "--no-display-prompt", "--no-warmup");
        LlamaSimpleParityTest.assertBytes(expected, ref.stdout(), "llama-completion's stdout");
    }

    @Test
    void llamaSimplePrintsTheGoldenText() throws IOException {
        ReferenceTool.Output ref = ReferenceTool.check(120, "llama-simple", "-m", model().toString(),
                "-n", Integer.toString(N_PREDICT), PROMPT);
        LlamaSimpleParityTest.assertBytes(("<|begin|>" + PROMPT + golden() + "\n").getBytes(StandardCharsets.UTF_8),
                ref.stdout(), "llama-simple's stdout");
    }
}
