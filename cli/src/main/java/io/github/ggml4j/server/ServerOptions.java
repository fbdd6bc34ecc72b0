package io.github.ggml4j.server;

import io.github.ggml4j.sampling.SamplingOptions;

import java.util.Objects;

/**
 * How an {@link OpenAiServer} listens and what it allows.
 *
 * {@snippet :
 * ServerOptions opts = ServerOptions.defaults("tiny").withPort(0).withParallel(8).withApiKey("secret");
 * }
 *
 * @param host           the address to bind (llama-server's {@code --host}); {@code 127.0.0.1} by default
 * @param port           the TCP port; 0 picks a free one ({@link OpenAiServer#port()} tells which)
 * @param parallel       requests generated at the same time (slots, llama-server's {@code -np}); each has its own
 *                       session of the one model, and the engine batches their tokens into shared steps
 * @param queueSize      requests that may wait for a slot; one more is answered 503
 * @param slotContext    context positions per request (prompt plus completion)
 * @param maxTokens      the most tokens one request may ask for (and what it gets when it asks for none)
 * @param maxBodyBytes   the largest request body; a larger one is answered 413
 * @param apiKey         null for none, else requests must send {@code Authorization: Bearer KEY} (401 otherwise)
 * @param timeoutSeconds how long a request may wait for a slot before a 503, and the most seconds reading a
 *                       request may take (llama-server's {@code --timeout})
 * @param modelId        the model's name in {@code /v1/models}; requests naming another model get 404
 * @param sampling       the sampling a request's own fields ({@code temperature}, {@code top_p} ...) start from
 */
public record ServerOptions(String host, int port, int parallel, int queueSize, int slotContext, int maxTokens,
                            long maxBodyBytes, String apiKey, int timeoutSeconds, String modelId,
                            SamplingOptions sampling) {

    public ServerOptions {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(modelId, "modelId");
        Objects.requireNonNull(sampling, "sampling");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in 0..65535, got " + port);
        }
        if (parallel < 1 || parallel > 1024) {
            throw new IllegalArgumentException("parallel must be in 1..1024, got " + parallel);
        }
        if (queueSize < 0) {
            throw new IllegalArgumentException("queueSize must be >= 0, got " + queueSize);
        }
        if (slotContext < 2) {
            throw new IllegalArgumentException("slotContext must be >= 2, got " + slotContext);
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be >= 1, got " + maxTokens);
        }
        if (maxBodyBytes < 64) {
            throw new IllegalArgumentException("maxBodyBytes must be >= 64, got " + maxBodyBytes);
        }
        if (apiKey != null && apiKey.isBlank()) {
            throw new IllegalArgumentException("apiKey must not be blank (null for none)");
        }
        if (timeoutSeconds < 1) {
            throw new IllegalArgumentException("timeoutSeconds must be >= 1, got " + timeoutSeconds);
        }
        if (modelId.isBlank()) {
            throw new IllegalArgumentException("modelId must not be blank");
        }
    }

    /**
     * Loopback, port 8080, 4 slots of 1024 positions, 64 waiting requests, 512 tokens a request, 1 MiB bodies, no
     * API key, 600 s timeout, llama.cpp's default sampling.
     */
    public static ServerOptions defaults(String modelId) {
        return new ServerOptions("127.0.0.1", 8080, 4, 64, 1024, 512, 1 << 20, null, 600, modelId,
                SamplingOptions.defaults());
    }

    public ServerOptions withHost(String v) {
        return new ServerOptions(v, port, parallel, queueSize, slotContext, maxTokens, maxBodyBytes, apiKey,
                timeoutSeconds, modelId, sampling);
    }

    public ServerOptions withPort(int v) {
        return new ServerOptions(host, v, parallel, queueSize, slotContext, maxTokens, maxBodyBytes, apiKey,
                timeoutSeconds, modelId, sampling);
    }

    public ServerOptions withParallel(int v) {
        return new ServerOptions(host, port, v, queueSize, slotContext, maxTokens, maxBodyBytes, apiKey,
                timeoutSeconds, modelId, sampling);
    }

    public ServerOptions withQueueSize(int v) {
        return new ServerOptions(host, port, parallel, v, slotContext, maxTokens, maxBodyBytes, apiKey,
                timeoutSeconds, modelId, sampling);
    }

    public ServerOptions withSlotContext(int v) {
        return new ServerOptions(host, port, parallel, queueSize, v, maxTokens, maxBodyBytes, apiKey,
                timeoutSeconds, modelId, sampling);
    }

    public ServerOptions withMaxTokens(int v) {
        return new ServerOptions(host, port, parallel, queueSize, slotContext, v, maxBodyBytes, apiKey,
                timeoutSeconds, modelId, sampling);
    }

    public ServerOptions withMaxBodyBytes(long v) {
        return new ServerOptions(host, port, parallel, queueSize, slotContext, maxTokens, v, apiKey,
                timeoutSeconds, modelId, sampling);
    }

    public ServerOptions withApiKey(String v) {
        return new ServerOptions(host, port, parallel, queueSize, slotContext, maxTokens, maxBodyBytes, v,
                timeoutSeconds, modelId, sampling);
    }

    public ServerOptions withTimeoutSeconds(int v) {
        return new ServerOptions(host, port, parallel, queueSize, slotContext, maxTokens, maxBodyBytes, apiKey,
                v, modelId, sampling);
    }

    public ServerOptions withSampling(SamplingOptions v) {
        return new ServerOptions(host, port, parallel, queueSize, slotContext, maxTokens, maxBodyBytes, apiKey,
                timeoutSeconds, modelId, v);
    }
}
