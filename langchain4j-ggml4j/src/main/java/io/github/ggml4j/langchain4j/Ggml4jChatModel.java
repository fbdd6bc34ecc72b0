package io.github.ggml4j.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;

/**
 * A LangChain4j {@link ChatModel} that runs a GGUF model in process through ggml4j: the conversation is rendered
 * with the model's own chat template and generated in a session of its own per request (concurrent requests
 * share the engine's batched steps). Finish reasons map to LangChain4j's ({@code STOP} for an end-of-generation
 * token or a stop sequence, {@code LENGTH} for the token limit or a full context) and token usage counts the
 * rendered prompt's and the reply's tokens. A JSON response format (with or without a schema, as AI Services ask
 * for structured outputs) constrains the reply with a grammar. Tools work with every template: a template that
 * renders {@code tools} and {@code <tool_call>} blocks (Qwen, Hermes) gets them as it expects, any other the
 * generic JSON format, and the calls are grammar-constrained to the tools' schemas (see
 * {@link io.github.ggml4j.chat.ToolCalling}); a reply with calls finishes with {@code TOOL_EXECUTION}.
 *
 * {@snippet :
 * try (Ggml4jChatModel model = Ggml4jChatModel.builder()
 *         .modelPath(Path.of("model.gguf"))
 *         .temperature(0.0)
 *         .maxTokens(128)
 *         .build()) {
 *     Assistant assistant = AiServices.create(Assistant.class, model);
 *     System.out.println(assistant.chat("Hello!"));
 * }
 * }
 */
public final class Ggml4jChatModel implements ChatModel, AutoCloseable {

    private final LocalChat chat;

    private Ggml4jChatModel(LocalChat chat) {
        this.chat = chat;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        return chat.chat(request, null);
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return chat.defaults();
    }

    /** Structured outputs: a JSON response format with a schema is honoured (by a grammar). */
    @Override
    public java.util.Set<dev.langchain4j.model.chat.Capability> supportedCapabilities() {
        return LocalChat.CAPABILITIES;
    }

    /** The ggml4j model it runs. */
    public io.github.ggml4j.model.Model ggml4jModel() {
        return chat.model();
    }

    /** Closes the model when this chat model loaded it ({@link Builder#modelPath}). */
    @Override
    public void close() {
        chat.close();
    }

    /** Builds a {@link Ggml4jChatModel}; see {@link Ggml4jModelBuilder} for the settings. */
    public static final class Builder extends Ggml4jModelBuilder<Builder> {

        private Builder() {
        }

        /**
         * Loads the model (when given a path) and checks every setting.
         *
         * @throws IllegalArgumentException for a bad setting
         * @throws io.github.ggml4j.Ggml4jException if the model cannot be loaded
         */
        public Ggml4jChatModel build() {
            return new Ggml4jChatModel(buildChat());
        }
    }
}
