/**
 * LangChain4j over ggml4j, in process: {@link io.github.ggml4j.langchain4j.Ggml4jChatModel},
 * {@link io.github.ggml4j.langchain4j.Ggml4jStreamingChatModel},
 * {@link io.github.ggml4j.langchain4j.Ggml4jTokenCountEstimator}, and for encoder models
 * {@link io.github.ggml4j.langchain4j.Ggml4jEmbeddingModel} and {@link io.github.ggml4j.langchain4j.Ggml4jScoringModel}.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module io.github.ggml4j.langchain4j {
    requires transitive io.github.ggml4j.chat;
    // langchain4j-core has no module name of its own: its automatic one comes from the jar's name
    requires transitive langchain4j.core;

    exports io.github.ggml4j.langchain4j;
}
