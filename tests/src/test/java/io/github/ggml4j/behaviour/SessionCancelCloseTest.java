package io.github.ggml4j.behaviour;

import io.github.ggml4j.CancelledException;
import io.github.ggml4j.Ggml4jException;
import io.github.ggml4j.ResourceClosedException;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.testing.Background;
import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.session.TokenListener;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cases 40 and 41: cancelling a prompt evaluation or a generation from another thread stops it promptly with a
 * {@link CancelledException} and leaves the session usable; closing the session or the model under a running
 * generation gives that thread a typed error, never a crash.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SessionCancelCloseTest {

    /** Cancelled work must end within this of the request (one micro-batch of 64 tokens is far less). */
    static final long PROMPT_LATENCY_MS = 2000;

    static Path big;
    static Path tiny;
    static Model tinyModel;

    @BeforeAll
    static void load() {
        // F32 weights keep a 1500-token prompt busy for seconds even on a fast machine
        big = Parity.LLAMA_512.withTypes(GgmlType.F32).withTiedOutput(true).cached();
        tiny = Parity.TINY.cached();
        tinyModel = Model.load(tiny, engine());
    }

    @AfterAll
    static void close() {
        tinyModel.close();
    }

    static ModelOptions engine() {
        return ModelOptions.defaults().withContextSize(2048).withBatchSize(64).withThreads(2);
    }

    static SessionOptions opts() {
        return SessionOptions.defaults().withContextSize(2048);
    }

    @Test
    void cancelDuringPromptEvaluation() throws Exception {
        int[] prompt = Parity.prompt(1500, 40);
        int[] shortPrompt = Parity.prompt(20, 41);
        try (Model model = Model.load(big, engine()); Session s = model.newSession(opts())) {
            CompletableFuture<Object> work = Background.start(() -> {
                s.evaluate(prompt);
                return null;
            });
            Thread.sleep(300);
            assertFalse(work.isDone(), "the prompt should still be evaluating after 300 ms");
            long t0 = System.nanoTime();
            s.cancel();
            Throwable e = Background.failure(work);
            long latencyMs = (System.nanoTime() - t0) / 1_000_000;
            assertInstanceOf(CancelledException.class, e);
            System.out.println("prompt evaluation stopped " + latencyMs + " ms after cancel()");
            assertTrue(latencyMs < PROMPT_LATENCY_MS, "stopped only after " + latencyMs + " ms");

            assertEquals(0, s.position(), "a cancelled prompt leaves no positions behind");
            s.evaluate(shortPrompt);
            float[] after = s.logits();
            try (Session fresh = model.newSession(opts())) {
                fresh.evaluate(shortPrompt);
                // the fresh session's cells sit after this one's in the shared cache: only summation order differs
                double nmse = Errors.nmse(fresh.logits(), after);
                assertTrue(nmse <= 1e-6, "the session computes as a fresh one after cancel: NMSE " + nmse);
            }
        }
    }

    /** One cancel() that arrives between two decode steps (here: from the token listener) must not be lost. */
    @Test
    void cancelBetweenDecodeStepsIsNotLost() {
        try (Session s = tinyModel.newSession(opts())) {
            TokenListener cancelAtThird = new TokenListener() {
                int n;

                @Override
                public void onToken(int tokenId, String text) {
                    if (++n == 3) {
                        s.cancel();
                    }
                }
            };
            assertThrows(CancelledException.class,
                    () -> s.generate(Parity.prompt(10, 42), GenerateOptions.greedy(1000), cancelAtThird));
            int[] again = s.generate(Parity.prompt(5, 43), GenerateOptions.greedy(4), null).tokens();
            assertEquals(4, again.length, "usable after a cancelled generation");
        }
    }

    @Test
    void cancelDuringGenerationFromAnotherThread() throws Exception {
        try (Session s = tinyModel.newSession(opts())) {
            CountDownLatch started = new CountDownLatch(3);
            CompletableFuture<Object> work = Background.start(() -> s.generate(Parity.prompt(10, 44), GenerateOptions.greedy(2000),
                    (id, text) -> started.countDown()));
            assertTrue(started.await(20, TimeUnit.SECONDS), "generation did not start");
            s.cancel();
            assertInstanceOf(CancelledException.class, Background.failure(work));
            s.clear();
            assertEquals(3, s.generate(Parity.prompt(5, 45), GenerateOptions.greedy(3), null).tokens().length);
        }
    }

    @Test
    void closingTheSessionUnderAGenerationIsATypedError() throws Exception {
        Session s = tinyModel.newSession(opts());
        CountDownLatch started = new CountDownLatch(3);
        CompletableFuture<Object> work = Background.start(() -> s.generate(Parity.prompt(10, 46), GenerateOptions.greedy(2000),
                (id, text) -> started.countDown()));
        assertTrue(started.await(20, TimeUnit.SECONDS), "generation did not start");
        s.close(); // waits for the generating thread to stop
        assertInstanceOf(ResourceClosedException.class, Background.failure(work));
        assertThrows(ResourceClosedException.class, () -> s.evaluate(1));
        s.cancel(); // both are no-ops on a closed session
        s.close();
        try (Session other = tinyModel.newSession(opts())) {
            other.evaluate(1, 2, 3); // the model is untouched
        }
    }

    @Test
    void closingTheModelUnderAGenerationIsATypedError() throws Exception {
        Model model = Model.load(tiny, engine());
        Session s = model.newSession(opts());
        CountDownLatch started = new CountDownLatch(3);
        CompletableFuture<Object> work = Background.start(() -> s.generate(Parity.prompt(10, 47), GenerateOptions.greedy(2000),
                (id, text) -> started.countDown()));
        assertTrue(started.await(20, TimeUnit.SECONDS), "generation did not start");
        model.close(); // closes the session first, which waits for the generation to stop
        Throwable e = Background.failure(work);
        assertInstanceOf(Ggml4jException.class, e);
        assertInstanceOf(ResourceClosedException.class, e);
        assertThrows(ResourceClosedException.class, () -> s.evaluate(1));
        assertThrows(ResourceClosedException.class, () -> model.newSession(opts()));
    }

    /**
     * A model closed while another thread keeps opening sessions on it: that thread gets a typed error. Building
     * a session reads the weights (the graph is reserved at construction), so they must outlive it.
     */
    @Test
    void closingTheModelWhileSessionsAreOpenedIsATypedError() throws Exception {
        SessionOptions small = SessionOptions.defaults().withContextSize(64);
        for (int i = 0; i < 40; i++) {
            Model model = Model.load(tiny, ModelOptions.defaults().withContextSize(256).withThreads(1));
            CompletableFuture<Object> work = Background.start(() -> {
                while (true) {
                    try (Session s = model.newSession(small)) {
                        s.evaluate(1);
                    }
                }
            });
            Thread.sleep(i % 7);
            model.close();
            assertInstanceOf(ResourceClosedException.class, Background.failure(work), "round " + i);
        }
    }
}
