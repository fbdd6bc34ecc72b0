package io.github.ggml4j.behaviour;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.session.FinishReason;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.session.Token;
import io.github.ggml4j.testing.LogSoftmax;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Iterator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Session#stream}: lazy, closeable, the same tokens and text as generate, each finish reason at the end. */
class SessionStreamTest {

    static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(Parity.TINY.cached(), ModelOptions.defaults().withThreads(2).withContextSize(512));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static Generation generated(String prompt, GenerateOptions o) {
        try (Session s = model.newSession()) {
            return s.generate(prompt, o);
        }
    }

    @Test
    void aStreamYieldsWhatGenerateReturnsAndEndsWithTheReason() {
        Generation g = generated("Once upon a time", GenerateOptions.greedy(20));
        try (Session s = model.newSession(); Stream<Token> tokens = s.stream("Once upon a time", GenerateOptions.greedy(20))) {
            List<Token> all = tokens.toList();
            Token end = all.get(all.size() - 1);
            assertTrue(end.isEnd());
            assertEquals(g.finishReason(), end.finishReason());
            assertArrayEquals(g.tokens(), all.stream().filter(t -> !t.isEnd()).mapToInt(Token::id).toArray());
            assertEquals(g.text(), all.stream().map(Token::text).collect(Collectors.joining()));
            s.evaluate(5); // the session is free again
        }
    }

    @Test
    void closingAStreamStopsGenerationAndFreesTheSession() {
        try (Session s = model.newSession()) {
            int start;
            Stream<Token> tokens = s.stream("Hello my name is", GenerateOptions.greedy(500));
            Iterator<Token> it = tokens.iterator();
            for (int i = 0; i < 3; i++) {
                it.next();
            }
            start = s.position();
            assertThrows(IllegalStateException.class, () -> s.evaluate(1), "no other work while a stream is open");
            tokens.close();
            assertEquals(start, s.position(), "nothing more was evaluated after close");
            assertTrue(!it.hasNext(), "a closed stream has no more elements");
            s.evaluate(1, 2);
        }
    }

    @Test
    void stopStringsAndAFullContextEndTheStreamWithTheirReasons() {
        Generation g = generated("Hello", GenerateOptions.greedy(12));
        // a stop string made of the text of generated tokens 3 and 4, spanning their boundary
        String text = g.text();
        String stop = text.substring(Math.min(4, text.length() - 2), Math.min(9, text.length()));
        try (Session s = model.newSession();
             Stream<Token> tokens = s.stream("Hello", GenerateOptions.greedy(12).withStop(List.of(stop)))) {
            List<Token> all = tokens.toList();
            assertEquals(FinishReason.STOP_STRING, all.get(all.size() - 1).finishReason());
            String streamed = all.stream().map(Token::text).collect(Collectors.joining());
            assertTrue(!streamed.contains(stop), "the stop string is never emitted: " + streamed);
            assertEquals(text.substring(0, text.indexOf(stop)), streamed);
        }
        try (Session s = model.newSession(SessionOptions.defaults().withContextSize(8));
             Stream<Token> tokens = s.stream("Hello", GenerateOptions.greedy(100))) {
            List<Token> all = tokens.toList();
            assertEquals(FinishReason.CONTEXT_FULL, all.get(all.size() - 1).finishReason());
            assertEquals(8, s.position());
        }
    }

    @Test
    void tokensCarryTheirLogProbabilitiesWhenAsked() {
        int[] prompt = model.tokenizer().encode("Hello", true, true);
        float[] first;
        try (Session s = model.newSession()) {
            s.evaluate(prompt);
            first = s.logits();
        }
        try (Session s = model.newSession();
             Stream<Token> tokens = s.stream(prompt, GenerateOptions.greedy(6).withLogprobs(3))) {
            List<Token> all = tokens.toList();
            Token t0 = all.get(0);
            assertEquals(LogSoftmax.of(first, t0.id()), t0.logprob(), 1e-5, "log-softmax of the first step's logits");
            for (Token t : all.subList(0, all.size() - 1)) {
                assertEquals(3, t.alternatives().size());
                assertEquals(t.id(), t.alternatives().get(0).id(), "greedy picks the most likely");
                assertEquals(t.logprob(), t.alternatives().get(0).logprob(), 0f);
                assertTrue(t.alternatives().get(1).logprob() <= t.alternatives().get(0).logprob());
                assertTrue(t.logprob() <= 0);
            }
        }
        try (Session s = model.newSession(); Stream<Token> tokens = s.stream(prompt, GenerateOptions.greedy(2))) {
            assertTrue(tokens.allMatch(t -> Float.isNaN(t.logprob()) && t.alternatives().isEmpty()), "not asked: none");
        }
    }

    @Test
    void aLogitsProcessorSeesTheHistoryAndSteersTheChoice() {
        Generation plain = generated("Hello", GenerateOptions.greedy(3));
        int banned = plain.tokens()[0];
        List<Integer> historyLengths = new java.util.ArrayList<>();
        try (Session s = model.newSession()) {
            Generation g = s.generate("Hello", GenerateOptions.greedy(3).withLogitsProcessor((history, logits) -> {
                historyLengths.add(history.length);
                logits[banned] = Float.NEGATIVE_INFINITY;
            }));
            assertTrue(g.tokens()[0] != banned, "the banned token was not chosen");
            assertEquals(List.of(historyLengths.get(0), historyLengths.get(0) + 1, historyLengths.get(0) + 2),
                    historyLengths, "called once per token with the growing history");
            float[] logits = s.logits();
            assertTrue(Float.isFinite(logits[banned]), "the session's own logits are not changed");
        }
    }

    @Test
    void cancellingEndsTheStreamWithTheCancelledReason() {
        try (Session s = model.newSession(); Stream<Token> tokens = s.stream("Hello", GenerateOptions.greedy(500))) {
            Iterator<Token> it = tokens.iterator();
            it.next();
            it.next();
            s.cancel();
            assertTrue(it.hasNext());
            Token end = it.next();
            assertTrue(end.isEnd());
            assertEquals(io.github.ggml4j.session.FinishReason.CANCELLED, end.finishReason());
            assertTrue(!it.hasNext(), "nothing after the end");
            s.evaluate(3); // usable, the stream is over
        }
    }
}
