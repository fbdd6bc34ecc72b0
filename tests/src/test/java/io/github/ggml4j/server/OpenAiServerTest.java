package io.github.ggml4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.ggml4j.chat.ChatMessage;
import io.github.ggml4j.chat.ChatTemplate;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.runtime.Engine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.github.ggml4j.server.ServerFixture.MODEL_ID;
import static io.github.ggml4j.server.ServerFixture.json;
import static io.github.ggml4j.server.ServerFixture.post;
import static io.github.ggml4j.server.ServerFixture.sse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAI-compatible server driven by the JDK's HttpClient on loopback: answers equal direct greedy runs of
 * the Java API (one client and 32 at once, batched by the engine), streams parse as server-sent events and
 * add up to the whole answer, a client that disconnects frees its session and slot.
 */
class OpenAiServerTest {

    static Model model;
    static ChatTemplate template;
    static OpenAiServer server;
    static URI base;
    static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        model = ServerFixture.model();
        template = ChatTemplate.forModel(model);
        server = OpenAiServer.start(model, template, ServerFixture.options());
        base = server.baseUri();
        http = ServerFixture.client();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (model != null) {
            model.close();
        }
    }

    static String completionBody(String prompt, int n, boolean stream) {
        return json(Map.of("model", MODEL_ID, "prompt", prompt, "max_tokens", n, "temperature", 0, "stream", stream));
    }

    static String prompt(int i) {
        return "Request " + i + " asks: what is " + (i * 7 % 13) + " plus " + i + "?";
    }

    @Test
    void completionEqualsADirectGreedyRun() {
        String want = ServerFixture.directCompletion(model, "Hello my name is", 24);
        ServerFixture.Reply r = post(http, base, "/v1/completions", completionBody("Hello my name is", 24, false));
        assertEquals(200, r.status(), r.raw());
        JsonNode b = r.body();
        assertEquals("text_completion", b.path("object").asText());
        assertEquals(MODEL_ID, b.path("model").asText());
        assertEquals(want, b.at("/choices/0/text").asText());
        assertEquals("length", b.at("/choices/0/finish_reason").asText());
        assertEquals(24, b.at("/usage/completion_tokens").asInt());
        int promptTokens = model.tokenizer().encode("Hello my name is", true, true).length;
        assertEquals(promptTokens, b.at("/usage/prompt_tokens").asInt());
        assertEquals(promptTokens + 24, b.at("/usage/total_tokens").asInt());
    }

    @Test
    void chatCompletionUsesTheChatTemplate() {
        List<ChatMessage> messages = List.of(ChatMessage.system("You are terse."), ChatMessage.user("Name a prime."));
        String want = ServerFixture.directChat(model, template, messages, 20);
        String body = json(Map.of("model", MODEL_ID, "max_tokens", 20, "temperature", 0, "messages", List.of(
                Map.of("role", "system", "content", "You are terse."),
                Map.of("role", "user", "content", List.of(Map.of("type", "text", "text", "Name a prime."))))));
        ServerFixture.Reply r = post(http, base, "/v1/chat/completions", body);
        assertEquals(200, r.status(), r.raw());
        assertEquals("chat.completion", r.body().path("object").asText());
        assertEquals("assistant", r.body().at("/choices/0/message/role").asText());
        assertEquals(want, r.body().at("/choices/0/message/content").asText());
        assertTrue(r.body().at("/usage/prompt_tokens").asInt() > 0);
    }

    @Test
    void streamedCompletionParsesAsSseAndAddsUpToTheWholeAnswer() {
        String whole = post(http, base, "/v1/completions", completionBody("Once upon a time", 32, false)).body()
                .at("/choices/0/text").asText();
        ServerFixture.Reply r = post(http, base, "/v1/completions", completionBody("Once upon a time", 32, true));
        assertEquals(200, r.status(), r.raw());
        List<JsonNode> events = sse(r.raw());
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < events.size(); i++) {
            JsonNode e = events.get(i);
            assertEquals("text_completion", e.path("object").asText());
            text.append(e.at("/choices/0/text").asText());
            JsonNode finish = e.at("/choices/0/finish_reason");
            assertEquals(i == events.size() - 1, !finish.isNull(), "only the last chunk has a finish reason: " + e);
        }
        assertEquals(whole, text.toString());
        assertEquals("length", events.getLast().at("/choices/0/finish_reason").asText());
        assertTrue(events.size() > 2, "the answer came in pieces: " + events.size());
    }

    @Test
    void streamedChatStartsWithTheRoleAndEndsWithUsageWhenAsked() {
        String body = json(Map.of("model", MODEL_ID, "max_tokens", 16, "temperature", 0, "stream", true,
                "stream_options", Map.of("include_usage", true),
                "messages", List.of(Map.of("role", "user", "content", "Hi"))));
        String want = ServerFixture.directChat(model, template, List.of(ChatMessage.user("Hi")), 16);
        List<JsonNode> events = sse(post(http, base, "/v1/chat/completions", body).raw());
        assertEquals("assistant", events.getFirst().at("/choices/0/delta/role").asText());
        StringBuilder text = new StringBuilder();
        for (JsonNode e : events) {
            assertEquals("chat.completion.chunk", e.path("object").asText());
            if (!e.path("choices").isEmpty()) {
                text.append(e.at("/choices/0/delta/content").asText(""));
            }
        }
        assertEquals(want, text.toString());
        JsonNode usage = events.getLast();
        assertTrue(usage.path("choices").isEmpty(), "the usage chunk has no choices: " + usage);
        assertEquals(16, usage.at("/usage/completion_tokens").asInt());
        assertFalse(events.get(events.size() - 2).at("/choices/0/finish_reason").isNull());
    }

    /**
     * 32 clients at once get what each gets alone, on a server with a KV stream per slot as {@code ggml4j serve}
     * runs by default (in one shared cache a request's cells sit elsewhere in company than alone, and its sums
     * round elsewhere: on a random model's near-ties that changes tokens).
     */
    @Test
    void thirtyTwoConcurrentClientsGetTheirSingleClientAnswers() throws Exception {
        try (Model streamed = Model.load(Parity.TINY.cached(), ModelOptions.defaults().withThreads(2)
                .withContextSize(32 * 128).withKvStreams(32).withCachedPrompts(0).withFlashAttention(false));
             OpenAiServer own = OpenAiServer.start(streamed, ChatTemplate.forModel(streamed),
                     ServerFixture.options())) {
            thirtyTwoClients(streamed, own);
        }
    }

    private void thirtyTwoClients(Model model, OpenAiServer server) throws Exception {
        URI base = server.baseUri();
        int clients = 32;
        String[] alone = new String[clients];
        long t0 = System.nanoTime();
        for (int i = 0; i < clients; i++) {
            alone[i] = post(http, base, "/v1/completions", completionBody(prompt(i), 40, false)).body()
                    .at("/choices/0/text").asText();
        }
        long t1 = System.nanoTime();
        assertEquals(ServerFixture.directCompletion(model, prompt(0), 40), alone[0], "one client equals the API");
        long stepsBefore = ServerFixture.stats(model).steps();
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                int job = i;
                answers.add(pool.submit(() -> {
                    go.await();
                    boolean stream = job % 2 == 1;
                    ServerFixture.Reply r = post(ServerFixture.client(), base, "/v1/completions",
                            completionBody(prompt(job), 40, stream));
                    assertEquals(200, r.status(), r.raw());
                    if (!stream) {
                        assertEquals(40, r.body().at("/usage/completion_tokens").asInt());
                        return r.body().at("/choices/0/text").asText();
                    }
                    StringBuilder b = new StringBuilder();
                    sse(r.raw()).forEach(e -> b.append(e.at("/choices/0/text").asText()));
                    return b.toString();
                }));
            }
            go.countDown();
            for (int i = 0; i < clients; i++) {
                assertEquals(alone[i], answers.get(i).get(180, TimeUnit.SECONDS), "client " + i);
            }
        } finally {
            pool.shutdownNow();
        }
        long steps = ServerFixture.stats(model).steps() - stepsBefore;
        System.out.printf("32 requests of 40 tokens: one client %d ms, 32 clients at once %d ms, %d steps%n",
                (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000, steps);
        long tokens = clients * 40L;
        assertTrue(steps < tokens / 2, "the engine batched the requests: " + steps + " steps for " + tokens
                + " tokens");
        awaitIdle(model, server);
    }

    @Test
    void responseFormatConstrainsTheAnswerToJson() throws Exception {
        // room for the grammar's longest whitespace runs: the answer always closes before max_tokens
        try (OpenAiServer json = OpenAiServer.start(model, template, ServerFixture.options().withParallel(2)
                .withSlotContext(1024).withMaxTokens(600))) {
            Map<String, Object> schema = Map.of("type", "object", "properties", Map.of(
                    "ok", Map.of("type", "boolean"),
                    "n", Map.of("type", "integer", "minimum", 0, "maximum", 9)),
                    "required", List.of("ok", "n"), "additionalProperties", false);
            for (int seed = 1; seed <= 3; seed++) {
                String body = json(Map.of("model", MODEL_ID, "max_tokens", 600, "temperature", 1, "seed", seed,
                        "messages", List.of(Map.of("role", "user", "content", "Answer in JSON.")),
                        "response_format", Map.of("type", "json_schema",
                                "json_schema", Map.of("name", "answer", "schema", schema))));
                ServerFixture.Reply r = post(http, json.baseUri(), "/v1/chat/completions", body);
                assertEquals(200, r.status(), r.raw());
                assertEquals("stop", r.body().at("/choices/0/finish_reason").asText(), r.raw());
                JsonNode answer = new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(r.body().at("/choices/0/message/content").asText());
                assertTrue(answer.isObject() && answer.size() == 2, "two properties: " + answer);
                assertTrue(answer.path("ok").isBoolean(), answer.toString());
                assertTrue(answer.path("n").isInt() && answer.path("n").asInt() >= 0 && answer.path("n").asInt() <= 9,
                        answer.toString());
            }
            String any = json(Map.of("model", MODEL_ID, "max_tokens", 600, "temperature", 1, "seed", 7,
                    "prompt", "Some JSON:", "response_format", Map.of("type", "json_object",
                            "schema", Map.of("type", "array", "maxItems", 3, "items", Map.of("type", "integer")))));
            ServerFixture.Reply r = post(http, json.baseUri(), "/v1/completions", any);
            assertEquals(200, r.status(), r.raw());
            JsonNode array = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(r.body().at("/choices/0/text").asText());
            assertTrue(array.isArray() && array.size() <= 3, array.toString());
            array.forEach(v -> assertTrue(v.isIntegralNumber(), array.toString()));
        }
        awaitIdle();
    }

    @Test
    void aClientThatDisconnectsFreesItsSessionAndSlot() throws Exception {
        try (OpenAiServer one = OpenAiServer.start(model, template, ServerFixture.options().withParallel(1)
                .withQueueSize(0).withSlotContext(2048).withMaxTokens(2000))) {
            long before = one.disconnects();
            String body = completionBody("Tell me a very long story", 2000, true);
            try (Socket s = new Socket("127.0.0.1", one.port())) {
                OutputStream out = s.getOutputStream();
                out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.UTF_8));
                out.flush();
                InputStream in = s.getInputStream();
                String seen = readUntil(in, "data: ");
                assertTrue(seen.startsWith("HTTP/1.1 200"), seen);
                assertEquals(1, one.activeRequests());
                // the one slot is taken and no request may wait: another one is refused at once
                ServerFixture.Reply busy = post(http, one.baseUri(), "/v1/completions", completionBody("x", 4, false));
                assertEquals(503, busy.status(), busy.raw());
                assertEquals("server_busy", busy.body().at("/error/code").asText());
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (one.disconnects() == before && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(before + 1, one.disconnects(), "the server noticed the client leave mid-answer");
            awaitIdle();
            assertEquals(0, one.activeRequests());
            ServerFixture.Reply r = post(http, one.baseUri(), "/v1/completions", completionBody("x", 4, false));
            assertEquals(200, r.status(), "the freed slot takes the next request: " + r.raw());
        }
    }

    @Test
    void aNonStreamingClientThatDisconnectsIsNoticedByTheHeartbeat() throws Exception {
        // a model slow enough that 3900 tokens outlast the first heartbeat (1 s) on any machine: the tiny test
        // model once wrote all of them in less on a fast one
        Path slowFile = Parity.LLAMA_512.withTypes(GgmlType.F32).cached();
        try (Model slow = Model.load(slowFile, ModelOptions.defaults().withThreads(2).withContextSize(4096)
                .withCachedPrompts(0).withFlashAttention(false));
             OpenAiServer one = OpenAiServer.start(slow, ChatTemplate.forModel(slow), ServerFixture.options()
                     .withParallel(1).withQueueSize(0).withSlotContext(4000).withMaxTokens(3900))) {
            String body = completionBody("Tell me an endless story", 3900, false);
            try (Socket s = new Socket("127.0.0.1", one.port())) {
                OutputStream out = s.getOutputStream();
                out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.UTF_8));
                out.flush();
                // after a second the answer's headers and a first space of white space arrive
                String seen = readUntil(s.getInputStream(), "\r\n\r\n");
                assertTrue(seen.startsWith("HTTP/1.1 200"), seen);
                assertTrue(seen.toLowerCase(java.util.Locale.ROOT).contains("application/json"), seen);
                assertEquals(1, one.activeRequests());
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (one.disconnects() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(1, one.disconnects(), "the server noticed the client leave before the answer was done");
            Engine.Stats st = ServerFixture.stats(slow);
            for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                 (st.sequences() != 0 || st.usedCells() != 0 || one.activeRequests() != 0)
                         && System.nanoTime() < end; ) {
                Thread.sleep(10);
                st = ServerFixture.stats(slow);
            }
            assertEquals(0, st.sequences(), "the left request's session is closed: " + st);
            assertEquals(0, st.usedCells(), "its cells are free: " + st);
            assertEquals(0, one.activeRequests());
        }
    }

    @Test
    void healthAndModels() {
        ServerFixture.Reply h = ServerFixture.get(http, base, "/health");
        assertEquals(200, h.status());
        assertEquals("ok", h.body().path("status").asText());
        assertEquals(32, h.body().path("slots_idle").asInt() + h.body().path("slots_processing").asInt());
        ServerFixture.Reply m = ServerFixture.get(http, base, "/v1/models");
        assertEquals(200, m.status());
        assertEquals("list", m.body().path("object").asText());
        assertEquals(MODEL_ID, m.body().at("/data/0/id").asText());
    }

    /** Every session closed and every cell free: nothing a finished or abandoned request held is left. */
    static void awaitIdle() throws InterruptedException {
        awaitIdle(model, server);
    }

    static void awaitIdle(Model model, OpenAiServer server) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Engine.Stats st = ServerFixture.stats(model);
        while ((st.sequences() != 0 || st.usedCells() != 0 || server.activeRequests() != 0)
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
            st = ServerFixture.stats(model);
        }
        assertEquals(0, st.sequences(), "sessions left open: " + st);
        assertEquals(0, st.usedCells(), "cells left in use: " + st);
        assertEquals(0, server.activeRequests());
    }

    private static String readUntil(InputStream in, String marker) throws Exception {
        StringBuilder b = new StringBuilder();
        while (b.indexOf(marker) < 0) {
            int c = in.read();
            if (c < 0) {
                throw new AssertionError("the connection closed before '" + marker + "': " + b);
            }
            b.append((char) c);
        }
        return b.toString();
    }
}
