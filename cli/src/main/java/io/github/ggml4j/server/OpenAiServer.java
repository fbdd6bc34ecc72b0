package io.github.ggml4j.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.github.ggml4j.ChatTemplateException;
import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.chat.ChatTemplate;
import io.github.ggml4j.chat.ToolCalling;
import io.github.ggml4j.model.Model;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An OpenAI-compatible HTTP server over one model: {@code POST /v1/chat/completions} (the model's chat template),
 * {@code POST /v1/completions}, both streamed as server-sent events with {@code "stream": true},
 * {@code GET /v1/models}, {@code GET /health}, and for an encoder model {@code POST /v1/embeddings} and
 * {@code POST /v1/rerank} (a reranker's relevance scores; see {@link EmbeddingEndpoints}) instead of the
 * completions. Every request runs in its own session of the model, so the engine batches concurrent
 * requests into shared steps (continuous batching); {@link ServerOptions#parallel()} of them generate at once and
 * a bounded queue holds the rest (503 when full). Bad requests get a 4xx with an OpenAI-style error object
 * ({@code {"error": {"message", "type", "param", "code"}}}). It runs on the JDK's own HTTP server, one virtual
 * thread per request.
 *
 * {@snippet :
 * try (Model model = Model.load(Path.of("model.gguf"), ModelOptions.defaults().withContextSize(8192));
 *      OpenAiServer server = OpenAiServer.start(model, ChatTemplate.forModel(model),
 *              ServerOptions.defaults("model").withPort(8080).withParallel(8).withSlotContext(1024))) {
 *     server.awaitClose();
 * }
 * }
 */
public final class OpenAiServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("io.github.ggml4j.server");

    private final ServerOptions options;
    private final ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private final Completions completions;
    private final EmbeddingEndpoints embeddings;
    private final Slots slots;
    private final HttpServer http;
    private final ExecutorService executor;
    private final long created = System.currentTimeMillis() / 1000;
    private final Object closeLock = new Object();
    private boolean closed;

    private OpenAiServer(Model model, ChatTemplate template, ServerOptions options) throws IOException {
        this.options = options;
        this.completions = new Completions(model, template, options, json);
        this.embeddings = new EmbeddingEndpoints(model, json, options.modelId());
        this.slots = new Slots(options.parallel(), options.queueSize());
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
            System.setProperty("sun.net.httpserver.maxReqTime", Integer.toString(options.timeoutSeconds()));
        }
        this.http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 1024);
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        http.setExecutor(executor);
        http.createContext("/", this::handle);
        http.start();
    }

    /**
     * Starts serving {@code model} (which the caller keeps and closes after the server).
     *
     * @throws IOException if the address cannot be bound
     */
    public static OpenAiServer start(Model model, ChatTemplate template, ServerOptions options) throws IOException {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(options, "options");
        if (!model.hasTokenizer()) {
            throw new IllegalArgumentException(model.path().getFileName() + " has no tokenizer: it cannot serve text");
        }
        return new OpenAiServer(model, template, options);
    }

    /** The port it listens on (the bound one when {@link ServerOptions#port()} was 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** {@code http://host:port}. */
    public URI baseUri() {
        return URI.create("http://" + options.host() + ":" + port());
    }

    /** Requests generating now (each holds a session of the model). */
    public int activeRequests() {
        return completions.openSessions();
    }

    /** Requests waiting for a slot. */
    public int waitingRequests() {
        return slots.waiting();
    }

    /** Requests whose client went away before the answer was complete (their generation was stopped). */
    public long disconnects() {
        return completions.disconnects();
    }

    /** Blocks until {@link #close()} is called (by a shutdown hook, for the command line). */
    public void awaitClose() throws InterruptedException {
        synchronized (closeLock) {
            while (!closed) {
                closeLock.wait();
            }
        }
    }

    /** Stops accepting connections, ends open ones within a second, and stops the request threads. */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (closed) {
                return;
            }
            closed = true;
            closeLock.notifyAll();
        }
        http.stop(1);
        executor.shutdownNow();
    }

    private void handle(HttpExchange ex) {
        try (ex) {
            try {
                route(ex);
            } catch (ApiError e) {
                error(ex, e);
            } catch (ContextOverflowException e) {
                error(ex, new ApiError(400, "invalid_request_error", "context_length_exceeded", null, e.getMessage()));
            } catch (ChatTemplateException e) {
                error(ex, ApiError.badRequest("messages", "the chat template cannot render these messages: "
                        + e.getMessage()));
            } catch (IllegalArgumentException e) {
                error(ex, ApiError.badRequest(null, e.getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                error(ex, ApiError.of(503, "unavailable_error", "shutting_down", "the server is shutting down"));
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "connection lost: {0}", e.getMessage());
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "request failed", e);
                error(ex, ApiError.of(500, "server_error", "internal_error", "internal error: " + e.getMessage()));
            }
        }
    }

    private void route(HttpExchange ex) throws IOException, InterruptedException {
        String path = ex.getRequestURI().getPath();
        if (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        String method = ex.getRequestMethod();
        switch (path) {
            case "/health" -> {
                requireMethod(method, "GET");
                ObjectNode o = json.createObjectNode().put("status", "ok").put("slots_idle", slots.idle())
                        .put("slots_processing", slots.processing()).put("requests_waiting", slots.waiting());
                send(ex, 200, o);
            }
            case "/v1/models", "/models" -> {
                requireMethod(method, "GET");
                authorize(ex);
                ObjectNode o = json.createObjectNode().put("object", "list");
                o.putArray("data").addObject().put("id", options.modelId()).put("object", "model")
                        .put("created", created).put("owned_by", "ggml4j");
                send(ex, 200, o);
            }
            case "/v1/chat/completions", "/chat/completions" -> complete(ex, method, true);
            case "/v1/completions", "/completions" -> complete(ex, method, false);
            case "/v1/embeddings", "/embeddings" -> encode(ex, method, false);
            case "/v1/rerank", "/rerank", "/v1/reranking" -> encode(ex, method, true);
            default -> throw ApiError.of(404, "invalid_request_error", "not_found", "no such endpoint: " + path);
        }
    }

    private void encode(HttpExchange ex, String method, boolean rerank) throws IOException, InterruptedException {
        requireMethod(method, "POST");
        authorize(ex);
        JsonNode body = readJson(ex);
        ObjectNode answer;
        try (Slots.Slot slot = slots.acquire(options.timeoutSeconds())) {
            answer = rerank ? embeddings.rerank(body) : embeddings.embeddings(body);
        }
        send(ex, 200, answer);
    }

    private void complete(HttpExchange ex, String method, boolean chat) throws IOException, InterruptedException {
        requireMethod(method, "POST");
        authorize(ex);
        if (embeddings.encoder()) {
            throw new ApiError(400, "invalid_request_error", "model_not_supported", "model", "the model '"
                    + options.modelId() + "' is an encoder: it answers /v1/embeddings or /v1/rerank, not completions");
        }
        CompletionRequest r = CompletionRequest.parse(readJson(ex), chat, options);
        ToolCalling tools = completions.toolCalling(r); // built once: the prompt, the grammar and the answer use it
        int[] prompt = completions.promptTokens(r, tools);
        try (Slots.Slot slot = slots.acquire(options.timeoutSeconds())) {
            completions.run(ex, r, tools, prompt, slot);
        }
    }

    private static void requireMethod(String method, String expected) {
        if (!method.equals(expected)) {
            throw ApiError.of(405, "invalid_request_error", "method_not_allowed", method + " is not allowed here; use "
                    + expected);
        }
    }

    private void authorize(HttpExchange ex) {
        if (options.apiKey() == null) {
            return;
        }
        String h = ex.getRequestHeaders().getFirst("Authorization");
        String given = h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).strip() : null;
        if (given == null || !MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
                options.apiKey().getBytes(StandardCharsets.UTF_8))) {
            throw ApiError.of(401, "authentication_error", "invalid_api_key",
                    given == null ? "missing API key: send Authorization: Bearer KEY" : "invalid API key");
        }
    }

    private JsonNode readJson(HttpExchange ex) throws IOException {
        long max = options.maxBodyBytes();
        String len = ex.getRequestHeaders().getFirst("Content-Length");
        if (len != null) {
            long n;
            try {
                n = Long.parseLong(len.strip());
            } catch (NumberFormatException e) {
                throw ApiError.badRequest(null, "bad Content-Length '" + len + "'");
            }
            if (n > max) {
                drain(ex);
                throw tooLarge(n);
            }
        }
        byte[] body;
        InputStream in = ex.getRequestBody();
        body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
        if (body.length > max) {
            drain(ex);
            throw tooLarge(-1);
        }
        if (body.length == 0) {
            throw ApiError.of(400, "invalid_request_error", "invalid_json", "the request body is empty");
        }
        try {
            return json.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiError.of(400, "invalid_request_error", "invalid_json", "the request body is not valid JSON: "
                    + e.getOriginalMessage());
        }
    }

    /**
     * Reads and discards what is left of an oversize body, up to {@link #DRAIN_LIMIT} bytes, so that the 413 reaches
     * the client: closing a socket with unread bytes in its receive buffer sends a reset, and the client then sees
     * the connection fail instead of the answer. Beyond the limit the connection is dropped.
     */
    private static void drain(HttpExchange ex) {
        try {
            InputStream in = ex.getRequestBody();
            byte[] buf = new byte[64 * 1024];
            long left = DRAIN_LIMIT;
            for (int r; left > 0 && (r = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0; ) {
                left -= r;
            }
        } catch (IOException e) {
            // the client went away: nothing to answer
        }
    }

    private static final long DRAIN_LIMIT = 64L << 20;

    private ApiError tooLarge(long n) {
        return ApiError.of(413, "invalid_request_error", "request_too_large", "the request body is "
                + (n >= 0 ? n + " bytes" : "larger than the limit") + "; this server accepts at most "
                + options.maxBodyBytes() + " bytes");
    }

    private void error(HttpExchange ex, ApiError e) {
        if (ex.getResponseCode() != -1) {
            return; // the answer had begun (a stream, or a long answer's heartbeat): only closing is left
        }
        ObjectNode err = json.createObjectNode();
        ObjectNode o = err.putObject("error").put("message", e.getMessage()).put("type", e.type);
        if (e.param == null) {
            o.putNull("param");
        } else {
            o.put("param", e.param);
        }
        o.put("code", e.code);
        if (e.status == 401) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        }
        try {
            send(ex, e.status, err);
        } catch (IOException io) {
            LOG.log(System.Logger.Level.DEBUG, "cannot send error: {0}", io.getMessage());
        }
    }

    private void send(HttpExchange ex, int status, ObjectNode body) throws IOException {
        byte[] bytes = json.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }
}
