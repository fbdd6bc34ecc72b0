package io.github.ggml4j.behaviour;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.runtime.ModelAccess;
import io.github.ggml4j.session.BeamOptions;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.testing.LogSoftmax;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Beam search over forks of a session: width 1 is greedy, wider finds sequences at least as likely. */
class BeamSearchTest {

    static Model model;
    static final int[] PROMPT = Parity.prompt(12, 900);

    @BeforeAll
    static void load() {
        model = Model.load(Parity.TINY.cached(), ModelOptions.defaults().withThreads(2).withContextSize(1024)
                .withCachedPrompts(0).withFlashAttention(false));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Summed log-probability of {@code continuation} after the prompt, in float64 from the model's logits. */
    static double score(int[] continuation) {
        return score(model, PROMPT, continuation);
    }

    /** Summed log-probability of {@code continuation} after {@code prompt} on {@code m}, in float64. */
    static double score(Model m, int[] prompt, int[] continuation) {
        int[] all = Arrays.copyOf(prompt, prompt.length + continuation.length);
        System.arraycopy(continuation, 0, all, prompt.length, continuation.length);
        try (Session s = m.newSession()) {
            float[][] rows = s.evaluateAll(all);
            double sum = 0;
            for (int i = 0; i < continuation.length; i++) {
                sum += LogSoftmax.of(rows[prompt.length - 1 + i], continuation[i]);
            }
            return sum;
        }
    }

    @Test
    void widthOneIsGreedy() {
        int[] greedy;
        try (Session s = model.newSession()) {
            greedy = s.generate(PROMPT, GenerateOptions.greedy(10), null).tokens();
        }
        try (Session s = model.newSession()) {
            Generation g = s.beamSearch(PROMPT, new BeamOptions(1, 10, 0, false));
            assertArrayEquals(greedy, g.tokens());
            assertEquals(PROMPT.length + 10, s.position(), "the session holds the prompt and the best beam");
        }
    }

    @Test
    void widerBeamsFindSequencesAtLeastAsLikelyAndFreeTheirCells() {
        int[] greedy;
        try (Session s = model.newSession()) {
            greedy = s.generate(PROMPT, GenerateOptions.greedy(8), null).tokens();
        }
        double greedyScore = score(greedy);
        try (Session s = model.newSession()) {
            Generation g = s.beamSearch(PROMPT, new BeamOptions(4, 8, 0, false));
            assertEquals(8, g.tokens().length);
            double beamScore = score(g.tokens());
            System.out.printf("beam width 4, 8 tokens: log-probability %.4f (greedy %.4f)%n", beamScore, greedyScore);
            assertTrue(beamScore >= greedyScore - 1e-4, "beam " + beamScore + " < greedy " + greedyScore);
            int[] held = s.tokens();
            assertArrayEquals(g.tokens(), Arrays.copyOfRange(held, PROMPT.length, held.length));
            var stats = ModelAccess.get().engine(model).stats();
            assertEquals(1, stats.sequences(), "every beam was released");
            assertEquals(PROMPT.length + 8, stats.usedCells(), "only the session's own cells are left");
            // it continues like a session that evaluated those tokens itself
            int[] next = s.generate(new int[0], GenerateOptions.greedy(4), null).tokens();
            try (Session fresh = model.newSession()) {
                fresh.evaluate(held);
                assertArrayEquals(fresh.generate(new int[0], GenerateOptions.greedy(4), null).tokens(), next);
            }
        }
    }
}
