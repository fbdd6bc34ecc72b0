package io.github.ggml4j.cli;

import io.github.ggml4j.StorageException;
import io.github.ggml4j.chat.ChatTemplate;
import io.github.ggml4j.chat.TemplateLimits;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.server.OpenAiServer;
import io.github.ggml4j.server.ServerOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code ggml4j serve}: an OpenAI-compatible HTTP server over one model ({@link OpenAiServer}), with llama-server's
 * flag names where they exist. The context ({@code -c}) is shared by the {@code -np} slots, each request getting
 * {@code c / np} positions, as llama-server does. Runs until interrupted.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve a model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions, ...).")
final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelArgs modelArgs;

    @Mixin
    SamplingArgs samplingArgs;

    @Mixin
    RunArgs runArgs;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on (default ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "port to listen on, 0 for any free one "
            + "(default ${DEFAULT-VALUE})")
    int port;

    @Option(names = {"-np", "--parallel"}, defaultValue = "4",
            description = "requests generated at once, batched together (default ${DEFAULT-VALUE})")
    int parallel;

    @Option(names = {"-kvu", "--kv-unified"},
            description = "one KV cache shared by all slots, so requests share common prefixes' cells, instead of one "
                    + "stream of ctx-size/parallel cells per slot, where a token attends over its own request's "
                    + "cells only (much faster with many requests at once; llama-server's default too)")
    boolean kvUnified;

    @Option(names = {"-cram", "--cache-ram"}, defaultValue = "8192", paramLabel = "MiB",
            description = "host memory for finished requests' contexts, so a later request whose prompt starts "
                    + "the same restores that prefix instead of computing it; at most a quarter of the Java heap "
                    + "(-Xmx); 0 disables it (each slot then keeps its last context in its cells), -1 means that "
                    + "quarter (default ${DEFAULT-VALUE}, as llama-server's)")
    long cacheRamMib;

    @Option(names = "--queue-size", defaultValue = "64",
            description = "requests that may wait for a slot; more get 503 (default ${DEFAULT-VALUE})")
    int queueSize;

    @Option(names = {"-n", "--n-predict"}, defaultValue = "512",
            description = "most tokens a request may generate, and its default max_tokens (default ${DEFAULT-VALUE})")
    int nPredict;

    @Option(names = "--max-body", defaultValue = "1048576", paramLabel = "BYTES",
            description = "largest request body; larger ones get 413 (default ${DEFAULT-VALUE})")
    long maxBody;

    @Option(names = "--api-key", description = "require Authorization: Bearer KEY (default: no key)")
    String apiKey;

    @Option(names = "--timeout", defaultValue = "600",
            description = "seconds to read a request or wait for a slot (default ${DEFAULT-VALUE})")
    int timeout;

    @Option(names = {"-a", "--alias"}, description = "the model's name in the API (default: the file name)")
    String alias;

    @Option(names = "--chat-template-file", paramLabel = "FILE",
            description = "a Jinja chat template to use instead of the file's")
    Path templateFile;

    @Override
    public Integer call() throws IOException, InterruptedException {
        modelArgs.model = DefaultModel.required(modelArgs.model);
        if (parallel < 1) {
            throw new IllegalArgumentException("-np/--parallel must be at least 1, got " + parallel);
        }
        ModelOptions mo = runArgs.modelOptions(modelArgs);
        if (!kvUnified && parallel > 1 && mo.contextSize() / parallel >= 2) {
            mo = mo.withKvStreams(Math.min(parallel, 256));
        }
        if (cacheRamMib < -1) {
            throw new IllegalArgumentException("--cache-ram must be -1, 0 or a size in MiB, got " + cacheRamMib);
        }
        // on the Java heap: bounded by it, so a large default never ends in an OutOfMemoryError
        long heapShare = Runtime.getRuntime().maxMemory() / 4;
        long cacheBytes = cacheRamMib == 0 ? 0 : cacheRamMib < 0 ? heapShare : Math.min(cacheRamMib << 20, heapShare);
        // a finished request's context goes to the prompt cache at once, so its cells are free and a restored one
        // is laid out as a computed one (a cell order other than the positions' rounds attention differently);
        // without it each slot keeps its last request's context in its cells, as llama-server's slots do
        mo = mo.withPromptCache(cacheBytes).withCachedPrompts(cacheBytes > 0 ? 0 : parallel);
        int slotContext = mo.contextSize() / parallel;
        if (slotContext < 2) {
            throw new IllegalArgumentException("-c/--ctx-size " + mo.contextSize() + " shared by " + parallel
                    + " slots leaves " + slotContext + " positions a request");
        }
        String id = alias != null ? alias : modelArgs.model.getFileName().toString();
        ServerOptions so;
        try {
            so = new ServerOptions(host, port, parallel, queueSize, slotContext, nPredict, maxBody, apiKey, timeout, id,
                    samplingArgs.options());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("serve flags: " + e.getMessage(), e);
        }
        PrintWriter err = spec.commandLine().getErr();
        try (Model model = Model.load(modelArgs.model, mo)) {
            ChatTemplate template = templateFile == null ? ChatTemplate.forModel(model) : template(model);
            if (model.pooling().isEmpty()) {
                model.newSession().close(); // start the engine before the first request
            }
            OpenAiServer server;
            try {
                server = OpenAiServer.start(model, template, so);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
            }
            Thread hook = new Thread(server::close, "ggml4j-serve-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            if (model.pooling().isPresent()) {
                err.printf("ggml4j: serving %s at %s (%d slots; an encoder, pooling %s: /v1/embeddings, /v1/rerank)%n",
                        id, server.baseUri(), parallel, model.pooling().get().name().toLowerCase(java.util.Locale.ROOT));
            } else {
                err.printf("ggml4j: serving %s at %s (%d slots of %d positions, %s, %s, chat template: %s)%n", id,
                        server.baseUri(), parallel, slotContext,
                        mo.kvStreams() > 1 ? mo.kvStreams() + " KV streams" : "one shared KV cache",
                        cacheBytes > 0 ? "prompt cache of " + (cacheBytes >> 20) + " MiB" : "no prompt cache",
                        template.isFallback() ? "ChatML (fallback)"
                                : templateFile != null ? templateFile : "the model file's");
            }
            err.flush();
            server.awaitClose();
        }
        return ExitCodes.OK;
    }

    private ChatTemplate template(Model model) {
        try {
            return ChatTemplate.of(Files.readString(templateFile), model, TemplateLimits.DEFAULT);
        } catch (IOException e) {
            throw new StorageException("cannot read --chat-template-file " + templateFile + ": " + e.getMessage(), e);
        }
    }
}
