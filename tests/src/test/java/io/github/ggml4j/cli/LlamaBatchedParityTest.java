package io.github.ggml4j.cli;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Multi-sequence decoding against llama.cpp's {@code llama-batched} (examples/batched of the pinned tree): one
 * prompt, four parallel sequences decoded in shared batches. ggml4j forks one session three times and lets four
 * threads generate at once, so the engine batches them the same way. llama.cpp runs with its unified KV cache
 * ({@code -kvu}), the layout ggml4j's cache has. At temperature 0 every stream must be the text llama.cpp
 * prints for it.
 */
class LlamaBatchedParityTest {

    static final String PROMPT = "Hello my name is";
    static final int N_PARALLEL = 4;
    static final int N_PREDICT = 40; // llama-batched counts the prompt in it

    @Test
    void fourForkedSessionsGenerateWhatLlamaBatchedPrints() throws Exception {
        Path file = CliModels.LLAMA_Q4_0.cached();
        ReferenceTool.Output ref = ReferenceTool.check(300, "llama-batched", "-m", file.toString(), "-p", PROMPT,
                "-np", Integer.toString(N_PARALLEL), "-n", Integer.toString(N_PREDICT), "--temp", "0", "-t", "2",
                "-c", "1024", "-kvu");
        String printed = ref.text() + "\n" + ref.stderr();
        List<String> streams = new ArrayList<>();
        for (int i = 0; i < N_PARALLEL; i++) {
            String head = "sequence " + i + ":\n\n";
            int at = printed.indexOf(head);
            assertTrue(at >= 0, "llama-batched printed no " + head.trim() + ":\n" + printed);
            int start = at + head.length();
            int end = printed.indexOf("\n\n", start);
            streams.add(printed.substring(start, end < 0 ? printed.length() : end));
        }

        try (Model model = Model.load(file, ModelOptions.defaults().withThreads(2).withContextSize(1024))) {
            int[] prompt = model.tokenizer().encode(PROMPT, true, false);
            Session first = model.newSession();
            first.evaluate(prompt);
            List<Session> sessions = new ArrayList<>(List.of(first));
            for (int i = 1; i < N_PARALLEL; i++) {
                sessions.add(first.fork());
            }
            CountDownLatch go = new CountDownLatch(1);
            List<CompletableFuture<Generation>> work = new ArrayList<>();
            for (Session s : sessions) {
                work.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    // continue from the prompt's logits: the first token comes from them, as llama-batched does
                    return s.generate(new int[0], GenerateOptions.greedy(N_PREDICT - prompt.length), null);
                }));
            }
            go.countDown();
            for (int i = 0; i < N_PARALLEL; i++) {
                Generation g = work.get(i).get(120, TimeUnit.SECONDS);
                assertEquals(streams.get(i), PROMPT + g.text(), "sequence " + i);
            }
            System.out.println("llama-batched parity, 4 sequences: " + streams.get(0).length() + " chars each, equal");
            sessions.forEach(Session::close);
        }
    }
}
