package io.github.ggml4j.langchain4j;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import io.github.ggml4j.chat.ChatMessage;
import io.github.ggml4j.chat.ChatTemplate;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The LangChain4j provider on the tiny synthetic Llama: LangChain4j's own AI Services answer through ggml4j, and
 * every answer equals a direct greedy ggml4j run of the same conversation rendered with the same template.
 */
class Ggml4jLangChain4jTest {

    interface Assistant {
        String chat(String message);
    }

    interface TerseAssistant {
        @dev.langchain4j.service.SystemMessage("You are terse.")
        String chat(String message);
    }

    interface StreamingAssistant {
        TokenStream chat(String message);
    }

    static final int N = 24;
    static Model model;
    static ChatTemplate template;
    static Ggml4jChatModel chat;
    static Ggml4jStreamingChatModel streaming;

    @BeforeAll
    static void load() {
        model = Model.load(Parity.TINY.cached(), ModelOptions.defaults().withThreads(2).withContextSize(2048)
                .withCachedPrompts(0));
        template = ChatTemplate.forModel(model);
        chat = Ggml4jChatModel.builder().model(model).temperature(0.0).maxTokens(N).contextSize(512).build();
        streaming = Ggml4jStreamingChatModel.builder().model(model).temperature(0.0).maxTokens(N).contextSize(512)
                .build();
    }

    @AfterAll
    static void close() {
        if (chat != null) {
            chat.close();
        }
        if (model != null) {
            model.close();
        }
    }

    /** The greedy reply through ggml4j's own API: the template rendered, BOS added, generated in a session. */
    static String direct(List<ChatMessage> messages, int n, List<String> stop) {
        Tokenizer tok = model.tokenizer();
        int[] ids = tok.encode(template.render(messages, true), false, true);
        if (tok.addsBos() && ids[0] != tok.specialTokens().bos()) {
            int[] with = new int[ids.length + 1];
            with[0] = tok.specialTokens().bos();
            System.arraycopy(ids, 0, with, 1, ids.length);
            ids = with;
        }
        List<String> stops = new ArrayList<>(stop);
        if (template.isFallback()) {
            stops.add("<|im_end|>");
        }
        try (Session s = model.newSession(SessionOptions.defaults().withContextSize(512))) {
            return s.generate(ids, GenerateOptions.greedy(n).withStop(stops), null).text();
        }
    }

    @Test
    void anAiServiceAnswersThroughGgml4j() {
        Assistant assistant = AiServices.create(Assistant.class, chat);
        String answer = assistant.chat("What is the capital of France?");
        assertEquals(direct(List.of(ChatMessage.user("What is the capital of France?")), N, List.of()), answer);
        assertTrue(!answer.isEmpty(), "an answer came back");
    }

    @Test
    void anAiServiceWithASystemMessage() {
        TerseAssistant assistant = AiServices.create(TerseAssistant.class, chat);
        assertEquals(direct(List.of(ChatMessage.system("You are terse."), ChatMessage.user("Name a prime.")), N,
                List.of()), assistant.chat("Name a prime."));
    }

    @Test
    void anAiServiceWithMemorySendsTheConversation() {
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(chat)
                .chatMemory(MessageWindowChatMemory.withMaxMessages(10)).build();
        String first = assistant.chat("Hello");
        String second = assistant.chat("And then?");
        assertEquals(direct(List.of(ChatMessage.user("Hello"), ChatMessage.assistant(first),
                ChatMessage.user("And then?")), N, List.of()), second);
    }

    @Test
    void aStreamingAiServiceStreamsTheSameAnswer() throws Exception {
        StreamingAssistant assistant = AiServices.create(StreamingAssistant.class, streaming);
        StringBuilder parts = new StringBuilder();
        List<String> pieces = new ArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        assistant.chat("Tell me a story").onPartialResponse(p -> {
            pieces.add(p);
            parts.append(p);
        }).onCompleteResponse(done::complete).onError(done::completeExceptionally).start();
        ChatResponse response = done.get(60, TimeUnit.SECONDS);
        String want = direct(List.of(ChatMessage.user("Tell me a story")), N, List.of());
        assertEquals(want, parts.toString());
        assertEquals(want, response.aiMessage().text());
        assertTrue(pieces.size() > 1, "the answer came in pieces: " + pieces);
        assertEquals(FinishReason.LENGTH, response.finishReason());
    }

    @Test
    void finishReasonAndTokenUsage() {
        ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from("Count to ten")).build());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(N, r.tokenUsage().outputTokenCount());
        Ggml4jTokenCountEstimator est = Ggml4jTokenCountEstimator.builder().model(model).build();
        int rendered = est.estimateTokenCountInMessages(List.of(UserMessage.from("Count to ten")));
        assertTrue(r.tokenUsage().inputTokenCount() >= rendered, r.tokenUsage() + " vs " + rendered);
        assertEquals(model.tokenizer().encode(template.render(List.of(ChatMessage.user("Count to ten")), true), false,
                true).length + (model.tokenizer().addsBos() ? 1 : 0), r.tokenUsage().inputTokenCount());
        assertEquals(model.tokenizer().encode("Count to ten", false, true).length,
                est.estimateTokenCountInText("Count to ten"));
        assertEquals(chat.defaultRequestParameters().modelName(), r.modelName());
    }

    @Test
    void aStopSequenceEndsTheReplyWithStop() {
        String free = direct(List.of(ChatMessage.user("Say something")), N, List.of());
        assertTrue(free.length() > 8, free);
        String stop = free.substring(5, 8);
        ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from("Say something"))
                .parameters(dev.langchain4j.model.chat.request.ChatRequestParameters.builder()
                        .stopSequences(stop).build()).build());
        assertEquals(FinishReason.STOP, r.finishReason());
        assertEquals(direct(List.of(ChatMessage.user("Say something")), N, List.of(stop)), r.aiMessage().text());
        assertTrue(!r.aiMessage().text().contains(stop), r.aiMessage().text());
    }

    @Test
    void requestParametersOverrideTheDefaults() {
        ChatResponse r = chat.chat(ChatRequest.builder().messages(SystemMessage.from("Be brief."),
                UserMessage.from("Hi")).maxOutputTokens(5).build());
        assertEquals(5, r.tokenUsage().outputTokenCount());
        assertEquals(direct(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi")), 5, List.of()),
                r.aiMessage().text());
    }

    /** What AI Services parse a structured reply into. */
    record Verdict(boolean ok, int score) {
    }

    interface Judge {
        Verdict judge(String text);
    }

    @Test
    void structuredOutputsAreConstrainedToTheirSchema() throws Exception {
        // room for the grammar's longest whitespace runs: a reply always closes before the token limit
        try (Ggml4jChatModel json = Ggml4jChatModel.builder().model(model).temperature(1.0).seed(3L).maxTokens(400)
                .build()) {
            // AI Services see the JSON-schema capability and send the record's schema as the response format
            Judge judge = AiServices.create(Judge.class, json);
            for (int i = 0; i < 2; i++) {
                assertTrue(judge.judge("Is this fine? " + i) != null);
            }
            var schema = dev.langchain4j.model.chat.request.json.JsonSchema.builder().name("verdict")
                    .rootElement(dev.langchain4j.model.chat.request.json.JsonObjectSchema.builder()
                            .addBooleanProperty("ok").addIntegerProperty("score").required("ok", "score")
                            .additionalProperties(false).build())
                    .build();
            ChatResponse r = json.chat(ChatRequest.builder().messages(UserMessage.from("Rate it."))
                    .responseFormat(dev.langchain4j.model.chat.request.ResponseFormat.builder()
                            .type(dev.langchain4j.model.chat.request.ResponseFormatType.JSON).jsonSchema(schema).build())
                    .build());
            assertEquals(FinishReason.STOP, r.finishReason(), r.aiMessage().text());
            var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.aiMessage().text());
            assertTrue(node.isObject() && node.size() == 2 && node.path("ok").isBoolean()
                    && node.path("score").isIntegralNumber(), r.aiMessage().text());
        }
    }

    @Test
    void badSettingsFailAtBuildTime() {
        assertThrows(IllegalArgumentException.class, () -> Ggml4jChatModel.builder().build());
        assertThrows(IllegalArgumentException.class, () -> Ggml4jChatModel.builder().model(model).maxTokens(0).build());
        assertThrows(IllegalArgumentException.class, () -> Ggml4jChatModel.builder().model(model).topP(7.0).build());
        assertThrows(io.github.ggml4j.StorageException.class, () -> Ggml4jChatModel.builder()
                .modelPath(java.nio.file.Path.of("/nonexistent/model.gguf")).build());
    }
}
