package io.github.ggml4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.ggml4j.chat.ChatTemplate;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The server over a model with a host-memory prompt cache: a request that repeats an earlier one's prompt gets
 * all but its last token restored, says so in {@code usage.prompt_tokens_details.cached_tokens} (OpenAI's field),
 * and answers as the first did (no flash attention: the tokens do not depend on how the prompt was split).
 */
class ServerPromptCacheTest {

    @Test
    void aRepeatedPromptIsRestoredAndReportedAsCached() throws Exception {
        try (Model model = Model.load(Parity.TINY.cached(), ModelOptions.defaults().withThreads(2).withContextSize(4096)
                .withCachedPrompts(0).withFlashAttention(false).withPromptCache(64L << 20));
             OpenAiServer server = OpenAiServer.start(model, ChatTemplate.forModel(model), ServerFixture.options())) {
            HttpClient http = ServerFixture.client();
            String body = OpenAiServerTest.completionBody("Once upon a time there was a small robot who", 16, false);
            JsonNode first = ServerFixture.post(http, server.baseUri(), "/v1/completions", body).body();
            JsonNode again = ServerFixture.post(http, server.baseUri(), "/v1/completions", body).body();
            int promptTokens = first.at("/usage/prompt_tokens").asInt();
            assertEquals(0, first.at("/usage/prompt_tokens_details/cached_tokens").asInt(-1), first.toString());
            assertEquals(promptTokens - 1, again.at("/usage/prompt_tokens_details/cached_tokens").asInt(-1),
                    again.toString());
            assertEquals(first.at("/choices/0/text").asText(), again.at("/choices/0/text").asText());
            assertEquals(ServerFixture.directCompletion(model, "Once upon a time there was a small robot who", 16),
                    again.at("/choices/0/text").asText());

            // a streamed request's usage chunk says the same
            String streamed = ServerFixture.json(java.util.Map.of("model", ServerFixture.MODEL_ID, "prompt",
                    "Once upon a time there was a small robot who", "max_tokens", 16, "temperature", 0, "stream", true,
                    "stream_options", java.util.Map.of("include_usage", true)));
            ServerFixture.Reply r = ServerFixture.post(http, server.baseUri(), "/v1/completions", streamed);
            assertEquals(200, r.status(), r.raw());
            JsonNode usage = null;
            for (JsonNode event : ServerFixture.sse(r.raw())) {
                if (event.has("usage") && !event.get("usage").isNull()) {
                    usage = event.get("usage");
                }
            }
            assertEquals(promptTokens - 1, usage.at("/prompt_tokens_details/cached_tokens").asInt(-1), r.raw());
        }
    }
}
