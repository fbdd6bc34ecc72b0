package io.github.ggml4j.server;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import io.github.ggml4j.chat.ChatMessage;
import io.github.ggml4j.chat.ChatTemplate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.github.ggml4j.server.ServerFixture.MODEL_ID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The official OpenAI Java client ({@code com.openai:openai-java}) against the server on loopback. */
class OpenAiJavaClientTest {

    static io.github.ggml4j.model.Model model;
    static ChatTemplate template;
    static OpenAiServer server;
    static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        model = ServerFixture.model();
        template = ChatTemplate.forModel(model);
        server = OpenAiServer.start(model, template, ServerFixture.options().withApiKey("k"));
        client = OpenAIOkHttpClient.builder().baseUrl(server.baseUri() + "/v1").apiKey("k").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
        if (model != null) {
            model.close();
        }
    }

    static ChatCompletionCreateParams chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addSystemMessage("You are terse.")
                .addUserMessage("Name a prime.").maxCompletionTokens(20).temperature(0.0).build();
    }

    @Test
    void chatCompletion() {
        String want = ServerFixture.directChat(model, template,
                List.of(ChatMessage.system("You are terse."), ChatMessage.user("Name a prime.")), 20);
        ChatCompletion c = client.chat().completions().create(chat(MODEL_ID));
        assertEquals(want, c.choices().getFirst().message().content().orElseThrow());
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, c.choices().getFirst().finishReason());
        assertEquals(20, c.usage().orElseThrow().completionTokens());
    }

    @Test
    void streamedChatCompletion() {
        String want = ServerFixture.directChat(model, template,
                List.of(ChatMessage.system("You are terse."), ChatMessage.user("Name a prime.")), 20);
        StringBuilder text = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(chat(MODEL_ID))) {
            s.stream().forEach(ch -> ch.choices().forEach(c -> c.delta().content().ifPresent(text::append)));
        }
        assertEquals(want, text.toString());
    }

    @Test
    void completion() {
        String want = ServerFixture.directCompletion(model, "Hello my name is", 16);
        Completion c = client.completions().create(CompletionCreateParams.builder()
                .model(MODEL_ID).prompt("Hello my name is").maxTokens(16).temperature(0.0).build());
        assertEquals(want, c.choices().getFirst().text());
    }

    @Test
    void modelsList() {
        List<Model> models = client.models().list().data();
        assertEquals(1, models.size());
        assertEquals(MODEL_ID, models.getFirst().id());
    }

    @Test
    void anUnknownModelIsNotFound() {
        assertThrows(NotFoundException.class, () -> client.chat().completions().create(chat("gpt-17")));
    }
}
