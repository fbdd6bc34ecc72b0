package io.github.ggml4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import io.github.ggml4j.chat.ChatTemplate;
import io.github.ggml4j.model.Model;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.util.List;
import java.util.Map;

import static io.github.ggml4j.server.OpenAiServerErrorsTest.expectError;
import static io.github.ggml4j.server.ServerFixture.JSON;
import static io.github.ggml4j.server.ServerFixture.MODEL_ID;
import static io.github.ggml4j.server.ServerFixture.json;
import static io.github.ggml4j.server.ServerFixture.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tool calling through {@code /v1/chat/completions}: with {@code tool_choice} required (or naming the function),
 * the answer is a call of a declared tool with arguments its schema allows, in OpenAI's shape (whole and streamed,
 * and through the official client); a conversation with a call and its result renders and answers; bad tool fields
 * get a 400 naming them.
 */
class ServerToolsTest {

    static final Map<String, Object> WEATHER = Map.of("type", "function", "function", Map.of("name", "get_weather",
            "description", "The weather in a city", "parameters", Map.of("type", "object", "properties",
                    Map.of("city", Map.of("type", "string", "enum", List.of("Paris", "Rome"))), "required",
                    List.of("city"), "additionalProperties", false)));
    static final Map<String, Object> TIME = Map.of("type", "function", "function", Map.of("name", "get_time",
            "parameters", Map.of("type", "object", "properties", Map.of(), "additionalProperties", false)));

    static Model model;
    static OpenAiServer server;
    static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        model = ServerFixture.model();
        server = OpenAiServer.start(model, ChatTemplate.forModel(model), ServerFixture.options().withMaxTokens(96)
                .withSlotContext(1024).withParallel(4));
        http = ServerFixture.client();
    }

    @AfterAll
    static void stop() {
        server.close();
        model.close();
    }

    static Map<String, Object> request(Object toolChoice, boolean stream) {
        return Map.of("model", MODEL_ID, "messages", List.of(Map.of("role", "user", "content", "Weather in Rome?")),
                "tools", List.of(WEATHER, TIME), "tool_choice", toolChoice, "max_tokens", 96, "stream", stream);
    }

    static void assertWeatherCall(JsonNode call) throws Exception {
        assertEquals("function", call.path("type").asText());
        assertTrue(call.path("id").asText().startsWith("call_"), call.toString());
        assertEquals("get_weather", call.path("function").path("name").asText(), call.toString());
        JsonNode args = JSON.readTree(call.path("function").path("arguments").asText());
        assertTrue(List.of("Paris", "Rome").contains(args.path("city").asText()), args.toString());
    }

    @Test
    void aRequiredNamedCallComesBackAsToolCalls() throws Exception {
        ServerFixture.Reply r = post(http, server.baseUri(), "/v1/chat/completions", json(request(
                Map.of("type", "function", "function", Map.of("name", "get_weather")), false)));
        assertEquals(200, r.status(), r.raw());
        JsonNode choice = r.body().path("choices").get(0);
        assertEquals("tool_calls", choice.path("finish_reason").asText(), r.raw());
        JsonNode calls = choice.path("message").path("tool_calls");
        assertEquals(1, calls.size(), r.raw());
        assertWeatherCall(calls.get(0));
    }

    @Test
    void aStreamedCallArrivesAsOneToolCallsDelta() throws Exception {
        ServerFixture.Reply r = post(http, server.baseUri(), "/v1/chat/completions", json(request(
                Map.of("type", "function", "function", Map.of("name", "get_weather")), true)));
        assertEquals(200, r.status(), r.raw());
        List<JsonNode> events = ServerFixture.sse(r.raw());
        JsonNode calls = null;
        String finish = null;
        for (JsonNode e : events) {
            JsonNode c = e.path("choices").path(0);
            if (c.path("delta").has("tool_calls")) {
                calls = c.path("delta").path("tool_calls");
            }
            if (c.path("finish_reason").isTextual()) {
                finish = c.path("finish_reason").asText();
            }
        }
        assertEquals("tool_calls", finish, r.raw());
        assertEquals(1, calls.size());
        assertEquals(0, calls.get(0).path("index").asInt());
        assertWeatherCall(calls.get(0));
    }

    @Test
    void aConversationWithACallAndItsResultIsAnswered() {
        Map<String, Object> body = Map.of("model", MODEL_ID, "max_tokens", 8, "tools", List.of(WEATHER),
                "tool_choice", "none", "messages", List.of(
                        Map.of("role", "user", "content", "Weather in Rome?"),
                        Map.of("role", "assistant", "content", "", "tool_calls", List.of(Map.of("id", "call_1", "type",
                                "function", "function", Map.of("name", "get_weather", "arguments",
                                        "{\"city\":\"Rome\"}")))),
                        Map.of("role", "tool", "tool_call_id", "call_1", "content", "sunny")));
        ServerFixture.Reply r = post(http, server.baseUri(), "/v1/chat/completions", json(body));
        assertEquals(200, r.status(), r.raw());
        JsonNode m = r.body().path("choices").get(0).path("message");
        assertTrue(m.path("content").isTextual() && !m.has("tool_calls"), r.raw());
    }

    @Test
    void theOpenAiClientGetsToolCalls() throws Exception {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(server.baseUri() + "/v1").apiKey("none")
                .maxRetries(0).build();
        try {
            ChatCompletionFunctionTool tool = ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder()
                    .name("get_weather").description("The weather in a city").parameters(FunctionParameters.builder()
                            .putAdditionalProperty("type", JsonValue.from("object"))
                            .putAdditionalProperty("properties", JsonValue.from(Map.of("city",
                                    Map.of("type", "string", "enum", List.of("Paris", "Rome")))))
                            .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                            .putAdditionalProperty("additionalProperties", JsonValue.from(false)).build())
                    .build()).build();
            ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model(MODEL_ID)
                    .addUserMessage("Weather in Paris?").addTool(tool)
                    .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).maxCompletionTokens(96).build());
            var choice = c.choices().getFirst();
            assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, choice.finishReason());
            var call = choice.message().toolCalls().orElseThrow().getFirst().asFunction();
            assertEquals("get_weather", call.function().name());
            JsonNode args = JSON.readTree(call.function().arguments());
            assertTrue(List.of("Paris", "Rome").contains(args.path("city").asText()), args.toString());
        } finally {
            client.close();
        }
    }

    @Test
    void badToolFieldsAre400() {
        var base = server.baseUri();
        expectError(post(http, base, "/v1/chat/completions", json(request("sometimes", false))), 400, "invalid_value");
        expectError(post(http, base, "/v1/chat/completions", json(request(Map.of("type", "function", "function",
                Map.of("name", "nope")), false))), 400, "invalid_value");
        expectError(post(http, base, "/v1/chat/completions", json(Map.of("messages", List.of(Map.of("role", "user",
                "content", "x")), "tools", List.of(Map.of("type", "function", "function", Map.of("name", "bad name")))))),
                400, "invalid_value");
        expectError(post(http, base, "/v1/completions", json(Map.of("prompt", "x", "tools", List.of(WEATHER)))), 400,
                "invalid_value");
        expectError(post(http, base, "/v1/chat/completions", json(Map.of("messages", List.of(Map.of("role", "tool",
                "content", "x"))))), 400, "invalid_value");
        expectError(post(http, base, "/v1/chat/completions", json(Map.of("messages", List.of(Map.of("role",
                "assistant", "content", "", "tool_calls", List.of(Map.of("function", Map.of("name", "f", "arguments",
                        "{oops")))))))), 400, "invalid_value");
    }
}
