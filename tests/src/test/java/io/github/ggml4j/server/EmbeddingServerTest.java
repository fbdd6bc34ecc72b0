package io.github.ggml4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import io.github.ggml4j.chat.ChatTemplate;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.model.Pooling;
import io.github.ggml4j.testing.SyntheticEncoder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.github.ggml4j.server.OpenAiServerErrorsTest.expectError;
import static io.github.ggml4j.server.ServerFixture.json;
import static io.github.ggml4j.server.ServerFixture.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /v1/embeddings} and {@code /v1/rerank} over encoder models, through the JDK's HttpClient and the official
 * OpenAI client: the vectors and scores equal the Java API's, concurrent clients are batched together and all
 * answered, and bad requests get a 4xx with an error object.
 */
class EmbeddingServerTest {

    static final SyntheticEncoder BERT = SyntheticEncoder.bert(128, 2, 4, 512, Pooling.MEAN);

    static Model embedder;
    static Model reranker;
    static OpenAiServer embedServer;
    static OpenAiServer rerankServer;
    static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        ModelOptions o = ModelOptions.defaults().withThreads(2).withFlashAttention(false);
        embedder = Model.load(BERT.cached(), o);
        reranker = Model.load(BERT.withPooling(Pooling.RANK).cached(), o);
        ServerOptions so = ServerOptions.defaults("bge").withPort(0).withParallel(8).withQueueSize(64)
                .withMaxBodyBytes(256 * 1024).withTimeoutSeconds(60);
        embedServer = OpenAiServer.start(embedder, ChatTemplate.forModel(embedder), so);
        rerankServer = OpenAiServer.start(reranker, ChatTemplate.forModel(reranker), so);
        http = ServerFixture.client();
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {embedServer, rerankServer, embedder, reranker}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static float[] vector(JsonNode e) {
        float[] v = new float[e.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) e.get(i).asDouble();
        }
        return v;
    }

    static void assertSameDirection(float[] want, float[] got, String what) {
        double dot = 0;
        double a = 0;
        double b = 0;
        for (int i = 0; i < want.length; i++) {
            dot += (double) want[i] * got[i];
            a += (double) want[i] * want[i];
            b += (double) got[i] * got[i];
        }
        assertEquals(want.length, got.length, what);
        assertTrue(dot / Math.sqrt(a * b) >= 0.9999, what + ": cosine " + dot / Math.sqrt(a * b));
    }

    @Test
    void embeddingsEqualTheApisAndBase64DecodesToTheSameFloats() {
        List<String> inputs = List.of("hello world", "The giant panda lives in China.");
        float[][] want = embedder.embed(inputs);
        ServerFixture.Reply r = post(http, embedServer.baseUri(), "/v1/embeddings",
                json(Map.of("input", inputs, "model", "bge")));
        assertEquals(200, r.status(), r.raw());
        assertEquals("list", r.body().path("object").asText());
        assertEquals("bge", r.body().path("model").asText());
        JsonNode data = r.body().path("data");
        assertEquals(2, data.size());
        int tokens = 0;
        for (int i = 0; i < 2; i++) {
            assertEquals(i, data.get(i).path("index").asInt());
            assertSameDirection(want[i], vector(data.get(i).path("embedding")), "input " + i);
            tokens += embedder.tokenizer().encode(inputs.get(i), true, true).length;
        }
        assertEquals(tokens, r.body().path("usage").path("prompt_tokens").asInt());

        ServerFixture.Reply b = post(http, embedServer.baseUri(), "/v1/embeddings",
                json(Map.of("input", "hello world", "encoding_format", "base64")));
        assertEquals(200, b.status(), b.raw());
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(b.body().path("data").get(0).path("embedding")
                .asText())).order(ByteOrder.LITTLE_ENDIAN);
        float[] decoded = new float[bytes.remaining() / 4];
        bytes.asFloatBuffer().get(decoded);
        assertSameDirection(want[0], decoded, "base64");
    }

    @Test
    void concurrentClientsAreAllAnswered() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<ServerFixture.Reply>> replies = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                String text = "request number " + i + " asks about pandas and bamboo";
                texts.add(text);
                replies.add(pool.submit(() -> post(http, embedServer.baseUri(), "/v1/embeddings",
                        json(Map.of("input", List.of(text, text + " again"))))));
            }
            for (int i = 0; i < replies.size(); i++) {
                ServerFixture.Reply r = replies.get(i).get();
                assertEquals(200, r.status(), r.raw());
                float[] want = embedder.embed(List.of(texts.get(i)))[0];
                assertSameDirection(want, vector(r.body().path("data").get(0).path("embedding")), "request " + i);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theOpenAiClientGetsEmbeddings() {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(embedServer.baseUri() + "/v1").apiKey("none")
                .maxRetries(0).build();
        try {
            CreateEmbeddingResponse resp = client.embeddings().create(EmbeddingCreateParams.builder().model("bge")
                    .inputOfArrayOfStrings(List.of("hello world", "what is a panda?")).build());
            assertEquals(2, resp.data().size());
            float[][] want = embedder.embed(List.of("hello world", "what is a panda?"));
            for (int i = 0; i < 2; i++) {
                List<Float> got = resp.data().get(i).embedding();
                float[] g = new float[got.size()];
                for (int j = 0; j < g.length; j++) {
                    g[j] = got.get(j);
                }
                assertSameDirection(want[i], g, "openai-java input " + i);
            }
        } finally {
            client.close();
        }
    }

    @Test
    void rerankSortsByScoreAndHonoursTopN() {
        List<String> docs = List.of("hi", "The giant panda is a bear.", "Pandas eat bamboo.", "stock prices fell");
        float[] want = reranker.rank("what is a panda?", docs);
        ServerFixture.Reply r = post(http, rerankServer.baseUri(), "/v1/rerank", json(Map.of("query",
                "what is a panda?", "documents", docs, "top_n", 3, "return_documents", true)));
        assertEquals(200, r.status(), r.raw());
        JsonNode results = r.body().path("results");
        assertEquals(3, results.size());
        double last = Double.POSITIVE_INFINITY;
        for (JsonNode res : results) {
            int i = res.path("index").asInt();
            double s = res.path("relevance_score").asDouble();
            assertEquals(want[i], s, 1e-3, "score of document " + i);
            assertTrue(s <= last, "descending order");
            last = s;
            assertEquals(docs.get(i), res.path("document").path("text").asText());
        }
    }

    @Test
    void badRequestsGetTypedErrors() {
        var base = embedServer.baseUri();
        expectError(post(http, base, "/v1/embeddings", json(Map.of("input", List.of(1, 2, 3)))), 400, "invalid_value");
        expectError(post(http, base, "/v1/embeddings", json(Map.of("input", List.of()))), 400, "invalid_value");
        expectError(post(http, base, "/v1/embeddings", json(Map.of("input", "hi", "dimensions", 7))), 400,
                "invalid_value");
        expectError(post(http, base, "/v1/embeddings", json(Map.of("input", "hi", "encoding_format", "int8"))), 400,
                "invalid_value");
        expectError(post(http, base, "/v1/embeddings", json(Map.of("input", "word ".repeat(600)))), 400,
                "context_length_exceeded");
        expectError(post(http, base, "/v1/completions", json(Map.of("prompt", "hi"))), 400, "model_not_supported");
        expectError(post(http, base, "/v1/chat/completions", json(Map.of("messages",
                List.of(Map.of("role", "user", "content", "hi"))))), 400, "model_not_supported");
        expectError(post(http, base, "/v1/rerank", json(Map.of("query", "q", "documents", List.of("d")))), 400,
                "model_not_supported");
        expectError(post(http, rerankServer.baseUri(), "/v1/embeddings", json(Map.of("input", "hi"))), 400,
                "model_not_supported");
        expectError(post(http, rerankServer.baseUri(), "/v1/rerank", json(Map.of("query", 5, "documents",
                List.of("d")))), 400, "invalid_value");
        expectError(post(http, rerankServer.baseUri(), "/v1/rerank", json(Map.of("query", "q", "documents",
                List.of("d"), "top_n", 0))), 400, "invalid_value");
    }
}
