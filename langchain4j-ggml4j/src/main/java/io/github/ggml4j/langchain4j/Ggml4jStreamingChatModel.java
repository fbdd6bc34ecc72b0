package io.github.ggml4j.langchain4j;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;

/**
 * A LangChain4j {@link StreamingChatModel} over ggml4j: as {@link Ggml4jChatModel}, with the reply's text passed
 * to {@link StreamingChatResponseHandler#onPartialResponse(String)} as it is generated, on a virtual thread of its
 * own, then the whole response to {@code onCompleteResponse}, or the failure to {@code onError}.
 *
 * {@snippet :
 * Ggml4jStreamingChatModel model = Ggml4jStreamingChatModel.builder()
 *         .modelPath(Path.of("model.gguf")).temperature(0.7).maxTokens(256).build();
 * model.chat("Tell me a story", new StreamingChatResponseHandler() {
 *     public void onPartialResponse(String text) { System.out.print(text); }
 *     public void onCompleteResponse(ChatResponse response) { System.out.println(); }
 *     public void onError(Throwable error) { error.printStackTrace(); }
 * });
 * }
 */
public final class Ggml4jStreamingChatModel implements StreamingChatModel, AutoCloseable {

    private final LocalChat chat;

    private Ggml4jStreamingChatModel(LocalChat chat) {
        this.chat = chat;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        Thread.ofVirtual().name("ggml4j-langchain4j-stream").start(() -> {
            dev.langchain4j.model.chat.response.ChatResponse response;
            try {
                response = chat.chat(request, handler::onPartialResponse);
            } catch (RuntimeException | Error e) {
                handler.onError(e);
                return;
            }
            handler.onCompleteResponse(response);
        });
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

    /** Builds a {@link Ggml4jStreamingChatModel}; see {@link Ggml4jModelBuilder} for the settings. */
    public static final class Builder extends Ggml4jModelBuilder<Builder> {

        private Builder() {
        }

        /**
         * Loads the model (when given a path) and checks every setting.
         *
         * @throws IllegalArgumentException for a bad setting
         * @throws io.github.ggml4j.Ggml4jException if the model cannot be loaded
         */
        public Ggml4jStreamingChatModel build() {
            return new Ggml4jStreamingChatModel(buildChat());
        }
    }
}
