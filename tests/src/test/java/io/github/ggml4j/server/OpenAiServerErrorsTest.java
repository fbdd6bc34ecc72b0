package io.github.ggml4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.ggml4j.chat.ChatTemplate;
import io.github.ggml4j.model.Model;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Map;

import static io.github.ggml4j.server.ServerFixture.MODEL_ID;
import static io.github.ggml4j.server.ServerFixture.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad requests get a 4xx with an OpenAI-style error object, never a 500 or a crash, and the server goes on
 * answering: malformed JSON, oversize bodies, unknown models, bad parameters, wrong methods and paths, a
 * missing or wrong API key, embeddings from a model that has none.
 */
class OpenAiServerErrorsTest {

    static Model model;
    static OpenAiServer server;
    static OpenAiServer keyed;
    static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        model = ServerFixture.model();
        ChatTemplate template = ChatTemplate.forModel(model);
        server = OpenAiServer.start(model, template, ServerFixture.options());
        keyed = OpenAiServer.start(model, template, ServerFixture.options().withApiKey("s3cret"));
        http = ServerFixture.client();
    }

    @AfterAll
    static void stop() {
        if (keyed != null) {
            keyed.close();
        }
        if (server != null) {
            server.close();
        }
        if (model != null) {
            model.close();
        }
    }

    static JsonNode expectError(ServerFixture.Reply r, int status, String code) {
        assertEquals(status, r.status(), r.raw());
        JsonNode e = r.body().path("error");
        assertTrue(e.isObject(), "an error object: " + r.raw());
        assertFalse(e.path("message").asText().isBlank(), r.raw());
        assertFalse(e.path("type").asText().isBlank(), r.raw());
        assertEquals(code, e.path("code").asText(), r.raw());
        return e;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "not JSON            | /v1/completions      | {\"prompt\": \"hi\"           | 400 | invalid_json",
        "trailing garbage    | /v1/completions      | {\"prompt\": \"hi\"} x        | 400 | invalid_json",
        "not an object       | /v1/chat/completions | [1, 2, 3]                       | 400 | invalid_request",
        "no messages         | /v1/chat/completions | {\"model\": \"tiny-llama\"}   | 400 | invalid_value",
        "empty messages      | /v1/chat/completions | {\"messages\": []}            | 400 | invalid_value",
        "unknown role        | /v1/chat/completions | {\"messages\": [{\"role\": \"wizard\", \"content\": \"x\"}]} | 400 | invalid_value",
        "image content       | /v1/chat/completions | {\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]} | 400 | invalid_value",
        "no prompt           | /v1/completions      | {\"max_tokens\": 4}           | 400 | invalid_value",
        "prompt a number     | /v1/completions      | {\"prompt\": 42}              | 400 | invalid_value",
        "token out of vocab  | /v1/completions      | {\"prompt\": [1, 99999999]}   | 400 | invalid_value",
        "unknown model       | /v1/completions      | {\"model\": \"gpt-17\", \"prompt\": \"hi\"} | 404 | model_not_found",
        "temperature string  | /v1/completions      | {\"prompt\": \"hi\", \"temperature\": \"hot\"} | 400 | invalid_value",
        "negative top_p      | /v1/completions      | {\"prompt\": \"hi\", \"top_p\": -1}  | 400 | invalid_value",
        "max_tokens 0        | /v1/completions      | {\"prompt\": \"hi\", \"max_tokens\": 0} | 400 | invalid_value",
        "max_tokens too many | /v1/completions      | {\"prompt\": \"hi\", \"max_tokens\": 100000} | 400 | invalid_value",
        "max_tokens float    | /v1/completions      | {\"prompt\": \"hi\", \"max_tokens\": 1.5} | 400 | invalid_value",
        "n 2                 | /v1/completions      | {\"prompt\": \"hi\", \"n\": 2}  | 400 | invalid_value",
        "stream a string     | /v1/completions      | {\"prompt\": \"hi\", \"stream\": \"yes\"} | 400 | invalid_value",
        "empty stop          | /v1/completions      | {\"prompt\": \"hi\", \"stop\": [\"\"]} | 400 | invalid_value",
        "tools               | /v1/chat/completions | {\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"tools\": [{\"type\": \"function\"}]} | 400 | invalid_value",
        "response_format xml | /v1/completions      | {\"prompt\": \"x\", \"response_format\": {\"type\": \"xml\"}} | 400 | invalid_value",
        "bad json schema     | /v1/completions      | {\"prompt\": \"x\", \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"schema\": {\"$ref\": \"#/nowhere\"}}}} | 400 | invalid_value",
        "schema not object   | /v1/completions      | {\"prompt\": \"x\", \"response_format\": {\"type\": \"json_object\", \"schema\": 3}} | 400 | invalid_value",
        "embeddings          | /v1/embeddings       | {\"input\": \"hi\", \"model\": \"tiny-llama\"} | 400 | model_not_supported",
        "unknown path        | /v1/engines          | {}                              | 404 | not_found",
    })
    void badRequestsGetAnErrorObject(String name, String path, String body, int status, String code) {
        expectError(post(http, server.baseUri(), path, body.strip()), status, code);
    }

    @Test
    void deeplyNestedJsonIsBadJsonNotAStackOverflow() {
        String deep = "{\"prompt\": " + "[".repeat(20_000) + "]".repeat(20_000) + "}";
        expectError(post(http, server.baseUri(), "/v1/completions", deep), 400, "invalid_json");
    }

    @Test
    void anEmptyBodyIsBadJson() {
        expectError(post(http, server.baseUri(), "/v1/completions", ""), 400, "invalid_json");
    }

    @Test
    void aPromptLongerThanASlotIsRefusedBeforeGenerating() {
        String prompt = "word ".repeat(400);
        JsonNode e = expectError(post(http, server.baseUri(), "/v1/completions",
                ServerFixture.json(Map.of("prompt", prompt))), 400, "context_length_exceeded");
        assertTrue(e.path("message").asText().contains("128"), e.toString());
    }

    @Test
    void anOversizeBodyIs413() {
        String big = ServerFixture.json(Map.of("prompt", "x".repeat(100_000)));
        expectError(post(http, server.baseUri(), "/v1/completions", big), 413, "request_too_large");
        // and streamed without a length (chunked), the limit still holds
        HttpRequest chunked = HttpRequest.newBuilder(server.baseUri().resolve("/v1/completions"))
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(
                        big.getBytes(java.nio.charset.StandardCharsets.UTF_8)))).build();
        expectError(ServerFixture.send(http, chunked), 413, "request_too_large");
    }

    @Test
    void wrongMethodIs405() {
        expectError(ServerFixture.get(http, server.baseUri(), "/v1/completions"), 405, "method_not_allowed");
    }

    @Test
    void anApiKeyIsRequiredWhenSet() {
        URI base = keyed.baseUri();
        String body = ServerFixture.json(Map.of("prompt", "hi", "max_tokens", 2));
        expectError(post(http, base, "/v1/completions", body), 401, "invalid_api_key");
        HttpRequest wrong = HttpRequest.newBuilder(base.resolve("/v1/completions"))
                .header("Authorization", "Bearer nope").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        expectError(ServerFixture.send(http, wrong), 401, "invalid_api_key");
        HttpRequest right = HttpRequest.newBuilder(base.resolve("/v1/completions"))
                .header("Authorization", "Bearer s3cret").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        assertEquals(200, ServerFixture.send(http, right).status());
        assertEquals(200, ServerFixture.get(http, base, "/health").status(), "health needs no key");
    }

    @Test
    void theServerStillAnswersAfterBadRequests() {
        for (int i = 0; i < 20; i++) {
            post(http, server.baseUri(), "/v1/completions", "{{{{" + i);
        }
        ServerFixture.Reply r = post(http, server.baseUri(), "/v1/completions",
                ServerFixture.json(Map.of("model", MODEL_ID, "prompt", "hi", "max_tokens", 3)));
        assertEquals(200, r.status(), r.raw());
        assertEquals(3, r.body().at("/usage/completion_tokens").asInt());
    }
}
