package io.github.ggml4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.ggml4j.chat.ChatMessage;
import io.github.ggml4j.chat.ChatTemplate;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.runtime.Engine;
import io.github.ggml4j.runtime.ModelAccess;
import io.github.ggml4j.sampling.SamplingOptions;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The server tests' model (the behaviour tests' tiny synthetic Llama, without flash attention so that a prompt
 * batched with other requests' tokens gives exactly its tokens alone) and helpers: direct greedy runs through
 * the Java API, requests through the JDK's HttpClient, and a server-sent-events parser.
 */
final class ServerFixture {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String MODEL_ID = "tiny-llama";

    private ServerFixture() {
    }

    /** 4096 cells shared by every server over the model: 32 slots of 128, or one long slot. */
    static Model model() {
        return Model.load(Parity.TINY.cached(), ModelOptions.defaults().withThreads(2).withContextSize(4096)
                .withCachedPrompts(0).withFlashAttention(false));
    }

    static ServerOptions options() {
        return ServerOptions.defaults(MODEL_ID).withPort(0).withParallel(32).withSlotContext(128).withMaxTokens(64)
                .withQueueSize(64).withMaxBodyBytes(64 * 1024).withTimeoutSeconds(60)
                .withSampling(SamplingOptions.greedy());
    }

    /** What a greedy completion of {@code prompt} is through the API (BOS added, as the server does). */
    static String directCompletion(Model model, String prompt, int n) {
        try (Session s = model.newSession(SessionOptions.defaults().withContextSize(128))) {
            return s.generate(prompt, GenerateOptions.greedy(n)).text();
        }
    }

    /** A greedy reply to {@code messages} rendered with {@code template}, through the API. */
    static String directChat(Model model, ChatTemplate template, List<ChatMessage> messages, int n) {
        Tokenizer tok = model.tokenizer();
        int[] ids = tok.encode(template.render(messages, true), false, true);
        int bos = tok.specialTokens().bos();
        if (tok.addsBos() && bos >= 0 && (ids.length == 0 || ids[0] != bos)) {
            int[] with = new int[ids.length + 1];
            with[0] = bos;
            System.arraycopy(ids, 0, with, 1, ids.length);
            ids = with;
        }
        GenerateOptions go = GenerateOptions.greedy(n);
        if (template.isFallback()) {
            go = go.withStop(List.of("<|im_end|>"));
        }
        try (Session s = model.newSession(SessionOptions.defaults().withContextSize(128))) {
            return s.generate(ids, go, null).text();
        }
    }

    static Engine.Stats stats(Model model) {
        return ModelAccess.get().engine(model).stats();
    }

    static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    record Reply(int status, JsonNode body, String raw) {
    }

    static Reply post(HttpClient c, URI base, String path, String body) {
        return send(c, HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build());
    }

    static Reply get(HttpClient c, URI base, String path) {
        return send(c, HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30)).GET().build());
    }

    static Reply send(HttpClient c, HttpRequest r) {
        try {
            HttpResponse<String> resp = c.send(r, HttpResponse.BodyHandlers.ofString());
            JsonNode body = null;
            if (!resp.body().isBlank() && !resp.body().startsWith("data:")) {
                body = JSON.readTree(resp.body());
            }
            return new Reply(resp.statusCode(), body, resp.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Parses a server-sent-events body: each event is {@code data: ...} lines ended by a blank line. Returns the
     * JSON events in order; {@code [DONE]} must be the last event and appear once.
     */
    static List<JsonNode> sse(String raw) {
        List<JsonNode> events = new ArrayList<>();
        boolean done = false;
        for (String block : raw.split("\n\n", -1)) {
            if (block.isEmpty()) {
                continue;
            }
            if (done) {
                throw new AssertionError("an event after [DONE]: " + block);
            }
            StringBuilder data = new StringBuilder();
            for (String line : block.split("\n")) {
                if (!line.startsWith("data: ")) {
                    throw new AssertionError("not an SSE data line: '" + line + "'");
                }
                data.append(line.substring(6));
            }
            if (data.toString().equals("[DONE]")) {
                done = true;
                continue;
            }
            try {
                events.add(JSON.readTree(data.toString()));
            } catch (IOException e) {
                throw new AssertionError("an event that is not JSON: " + data, e);
            }
        }
        if (!done) {
            throw new AssertionError("the stream did not end with data: [DONE]");
        }
        if (!raw.endsWith("\n\n")) {
            throw new AssertionError("the stream does not end with a blank line");
        }
        return events;
    }

    static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
