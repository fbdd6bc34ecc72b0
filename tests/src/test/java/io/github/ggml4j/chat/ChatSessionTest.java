package io.github.ggml4j.chat;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.Token;
import io.github.ggml4j.testing.SyntheticLlama;
import io.github.ggml4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A chat on a Qwen2-shaped model whose GGUF carries Qwen2's real vocabulary and chat template: each turn evaluates
 * only the new suffix of the rendered conversation, and what it generates equals a fresh session's generation
 * from the whole rendered prompt.
 */
class ChatSessionTest {

    static Model model;

    @BeforeAll
    static void load() {
        // flash attention off: the exact-token comparison spans different batch compositions
        model = Model.load(SyntheticLlama.qwen2(64, 2, 4, 2, 128).withStd(0.1).withSeed(11).cached(),
                ModelOptions.defaults().withThreads(2).withContextSize(1024).withFlashAttention(false));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static int[] tokens(String rendered) {
        Tokenizer t = model.tokenizer();
        return t.encode(rendered, t.addsBos(), true);
    }

    @Test
    void theFilesTemplateIsUsed() {
        ChatTemplate template = ChatTemplate.forModel(model);
        assertFalse(template.isFallback());
        assertTrue(template.render(List.of(ChatMessage.user("hi")), true).endsWith("<|im_start|>assistant\n"));
    }

    @Test
    void eachTurnEvaluatesOnlyTheNewSuffixAndMatchesAFreshSession() {
        GenerateOptions opts = GenerateOptions.greedy(6);
        try (ChatSession chat = ChatSession.open(model, "You are terse.")) {
            String first = chat.send("Hello there, who are you?", opts);
            ChatSession.Turn t1 = chat.lastTurn();
            assertEquals(0, t1.reusedTokens());
            assertEquals(t1.promptTokens(), t1.evaluatedTokens());

            String second = chat.send("And what can you do?", opts);
            ChatSession.Turn t2 = chat.lastTurn();
            assertTrue(t2.reusedTokens() >= t1.promptTokens(),
                    "turn 2 must keep all of turn 1's prompt: reused " + t2.reusedTokens() + " of " + t1.promptTokens());
            assertEquals(t2.promptTokens() - t2.reusedTokens(), t2.evaluatedTokens());
            assertTrue(t2.evaluatedTokens() < t2.promptTokens() - t1.promptTokens() + 8,
                    "only the new turn (and at most the reply's retokenized tail) is evaluated: " + t2);

            // the same conversation rendered and generated from scratch gives the same reply
            String rendered = chat.template().render(List.of(ChatMessage.system("You are terse."),
                    ChatMessage.user("Hello there, who are you?"), ChatMessage.assistant(first),
                    ChatMessage.user("And what can you do?")), true);
            int[] prompt = tokens(rendered);
            assertEquals(t2.promptTokens(), prompt.length);
            try (Session fresh = model.newSession()) {
                Generation g = fresh.generate(prompt, opts, null);
                assertEquals(g.text(), second);
            }
            assertEquals(5, chat.messages().size());
            assertEquals(ChatMessage.assistant(second), chat.messages().get(4));
        }
    }

    @Test
    void aStreamedReplyJoinsTheConversationEvenWhenClosedEarly() {
        try (ChatSession chat = ChatSession.open(model)) {
            StringBuilder seen = new StringBuilder();
            try (Stream<Token> s = chat.stream("Count to ten.", GenerateOptions.greedy(8))) {
                s.limit(3).forEach(t -> seen.append(t.text()));
            }
            List<ChatMessage> m = chat.messages();
            assertEquals(2, m.size());
            assertEquals(ChatMessage.assistant(seen.toString()), m.get(1));
            // the next turn reuses what the session holds
            chat.send("Go on.", GenerateOptions.greedy(2));
            assertTrue(chat.lastTurn().reusedTokens() > 0, chat.lastTurn().toString());
        }
    }

    @Test
    void resetForgetsTheConversation() {
        try (ChatSession chat = ChatSession.open(model, "sys")) {
            chat.send("one", GenerateOptions.greedy(2));
            chat.reset();
            assertEquals(List.of(ChatMessage.system("sys")), chat.messages());
            assertArrayEquals(new int[0], chat.session().tokens());
            chat.send("two", GenerateOptions.greedy(2));
            assertEquals(0, chat.lastTurn().reusedTokens());
        }
    }
}
