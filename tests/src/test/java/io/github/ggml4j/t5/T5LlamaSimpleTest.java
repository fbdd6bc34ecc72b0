package io.github.ggml4j.t5;

import io.github.ggml4j.cli.ReferenceTool;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.tokenizer.Tokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Text-level parity with llama.cpp's {@code llama-simple}, which encodes the prompt and decodes from the decoder
 * start token for an encoder–decoder model: ggml4j's {@code generate} from the prompt text prints the same
 * bytes, for the three prompts. (llama-simple counts the prompt's tokens in its length limit, so it generates
 * {@code n_prompt + n - 1} tokens unless one ends the generation; its flash attention is "auto", which enables
 * it for T5's cross-attention on the CPU, so ggml4j runs with flash attention on too.)
 */
class T5LlamaSimpleTest {

    static final int N = 8;

    @ParameterizedTest(name = "prompt {0}")
    @ValueSource(ints = {0, 1, 2})
    void generateFromTextPrintsWhatLlamaSimplePrints(int prompt) {
        Path file = T5ParityTest.FLAN.cached();
        String text = T5ParityTest.PROMPTS.get(prompt);
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        Generation g;
        try (Model m = Model.load(file, Parity.options(true).withThreads(1)); Session s = m.newSession()) {
            Tokenizer t = m.tokenizer();
            int[] tokens = t.encode(text, true, true);
            for (int id : tokens) {
                want.writeBytes(t.tokenBytes(id, true));
            }
            g = s.generate(text, GenerateOptions.greedy(tokens.length + N - 1));
            for (int id : g.tokens()) {
                want.writeBytes(t.tokenBytes(id, true));
            }
            want.write('\n');
        }
        ReferenceTool.Output ref = ReferenceTool.check(120, "llama-simple", "-m", file.toString(), "-n",
                Integer.toString(N), text);
        assertEquals(want.toString(StandardCharsets.UTF_8), ref.text(), "llama-simple's stdout");
        assertTrue(ref.stderr().contains("main: decoded " + g.tokens().length + " tokens"), ref.stderr());
    }
}
