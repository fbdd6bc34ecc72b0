package io.github.ggml4j.t5;

import io.github.ggml4j.ModelException;
import io.github.ggml4j.SessionStateException;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.runtime.ModelAccess;
import io.github.ggml4j.session.BeamOptions;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.testing.LogSoftmax;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * T5 through the session API as users call it for other models: beam search (width 1 is greedy; wider finds
 * continuations at least as likely and releases its beams), concurrent sessions with different prompts sharing
 * decoder steps (each token must see only its own sequence's encoder states), and the typed errors.
 */
class T5SessionTest {

    static Model model;
    static final String PROMPT = T5ParityTest.PROMPTS.get(0);

    @BeforeAll
    static void load() {
        model = Model.load(T5ParityTest.FLAN.cached(), ModelOptions.defaults().withThreads(2).withContextSize(512)
                .withCachedPrompts(0).withFlashAttention(false));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Summed log-probability of {@code continuation} after the prompt: the decoder teacher-forced, in float64. */
    static double score(int[] continuation) {
        try (Session s = model.newSession()) {
            s.generate(model.tokenizer().encode(PROMPT, true, true), GenerateOptions.greedy(1), null);
            List<float[]> rows = new ArrayList<>();
            rows.add(s.logits());
            rows.addAll(Arrays.asList(s.evaluateAll(Arrays.copyOf(continuation, continuation.length - 1))));
            double sum = 0;
            for (int i = 0; i < continuation.length; i++) {
                sum += LogSoftmax.of(rows.get(i), continuation[i]);
            }
            return sum;
        }
    }

    @Test
    void beamOfWidthOneIsGreedy() {
        int[] greedy;
        try (Session s = model.newSession()) {
            greedy = s.generate(PROMPT, GenerateOptions.greedy(10)).tokens();
        }
        try (Session s = model.newSession()) {
            Generation g = s.beamSearch(PROMPT, new BeamOptions(1, 10, 0, false));
            assertArrayEquals(greedy, g.tokens());
            assertEquals(1 + 10, s.position(), "the decoder holds its start token and the best beam");
        }
    }

    @Test
    void widerBeamsFindContinuationsAtLeastAsLikelyAndReleaseTheirBeams() {
        int[] greedy;
        try (Session s = model.newSession()) {
            greedy = s.generate(PROMPT, GenerateOptions.greedy(8)).tokens();
        }
        double greedyScore = score(greedy);
        try (Session s = model.newSession()) {
            Generation g = s.beamSearch(PROMPT, new BeamOptions(4, 8, 0, false));
            assertEquals(8, g.tokens().length);
            double beamScore = score(g.tokens());
            System.out.printf("t5 beam width 4, 8 tokens: log-probability %.4f (greedy %.4f)%n", beamScore, greedyScore);
            assertTrue(beamScore >= greedyScore - 1e-4, "beam " + beamScore + " < greedy " + greedyScore);
            var stats = ModelAccess.get().engine(model).stats();
            assertEquals(1, stats.sequences(), "every beam was released");
            assertEquals(1 + 8, stats.usedCells(), "only the session's own cells are left");
            // it continues like a session that was teacher-forced the same tokens
            int[] next = s.generate(new int[0], GenerateOptions.greedy(4), null).tokens();
            try (Session fresh = model.newSession()) {
                fresh.generate(model.tokenizer().encode(PROMPT, true, true), GenerateOptions.greedy(1), null);
                fresh.evaluate(g.tokens());
                assertArrayEquals(fresh.generate(new int[0], GenerateOptions.greedy(4), null).tokens(), next);
            }
        }
    }

    @Test
    void concurrentSessionsWithDifferentPromptsGenerateAsAlone() throws Exception {
        List<String> prompts = T5ParityTest.PROMPTS;
        List<int[]> alone = new ArrayList<>();
        for (String p : prompts) {
            try (Session s = model.newSession()) {
                alone.add(s.generate(p, GenerateOptions.greedy(16)).tokens());
            }
        }
        List<CompletableFuture<int[]>> together = new ArrayList<>();
        for (String p : prompts) {
            together.add(CompletableFuture.supplyAsync(() -> {
                try (Session s = model.newSession()) {
                    return s.generate(p, GenerateOptions.greedy(16)).tokens();
                }
            }));
        }
        for (int i = 0; i < prompts.size(); i++) {
            assertArrayEquals(alone.get(i), together.get(i).get(), "prompt " + i);
        }
    }

    @Test
    void aDecoderWithoutAnEncodedPromptAndSavedStatesAreTypedErrors() {
        try (Session s = model.newSession()) {
            ModelException e = assertThrows(ModelException.class, () -> s.evaluate(5, 6));
            assertTrue(e.getMessage().contains("encoder"), e.getMessage());
        }
        try (Session s = model.newSession()) {
            s.generate(PROMPT, GenerateOptions.greedy(2));
            assertThrows(SessionStateException.class, () -> s.saveState(java.nio.file.Path.of("target/t5-state.bin")));
        }
    }
}
