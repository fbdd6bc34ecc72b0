package io.github.ggml4j.langchain4j;

import io.github.ggml4j.model.Model;

import java.util.List;

/**
 * What {@link Ggml4jChatModel#builder()} and {@link Ggml4jStreamingChatModel#builder()} share beyond where the model
 * comes from ({@link Ggml4jModelSource}: a file, or a {@link Model} the caller keeps): the chat template, and the
 * default generation settings that a request's own parameters override. Unset sampling settings take
 * llama.cpp's defaults (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05); temperature 0 is greedy.
 *
 * {@snippet :
 * Ggml4jChatModel model = Ggml4jChatModel.builder()
 *         .modelPath(Path.of("model.gguf"))
 *         .temperature(0.0)
 *         .maxTokens(256)
 *         .build();
 * }
 *
 * @param <B> the concrete builder
 */
public abstract sealed class Ggml4jModelBuilder<B extends Ggml4jModelBuilder<B>> extends Ggml4jModelSource<B>
        permits Ggml4jChatModel.Builder, Ggml4jStreamingChatModel.Builder {

    String chatTemplate;
    int contextSize;
    Double temperature;
    Double topP;
    Integer topK;
    Double minP;
    Double frequencyPenalty;
    Double presencePenalty;
    Double repeatPenalty;
    Long seed;
    Integer maxTokens;
    List<String> stopSequences;
    boolean parallelToolCalls;

    Ggml4jModelBuilder() {
    }

    /** A Jinja chat template instead of the file's (default: the file's, or ChatML when it has none). */
    public B chatTemplate(String v) {
        this.chatTemplate = v;
        return self();
    }


    /** Context positions of each request's session, prompt and reply (default 0: the model's). */
    public B contextSize(int v) {
        this.contextSize = v;
        return self();
    }

    public B temperature(Double v) {
        this.temperature = v;
        return self();
    }

    public B topP(Double v) {
        this.topP = v;
        return self();
    }

    public B topK(Integer v) {
        this.topK = v;
        return self();
    }

    public B minP(Double v) {
        this.minP = v;
        return self();
    }

    public B frequencyPenalty(Double v) {
        this.frequencyPenalty = v;
        return self();
    }

    public B presencePenalty(Double v) {
        this.presencePenalty = v;
        return self();
    }

    public B repeatPenalty(Double v) {
        this.repeatPenalty = v;
        return self();
    }

    /** The sampling seed (default: a random one per request). */
    public B seed(Long v) {
        this.seed = v;
        return self();
    }

    /** The most tokens a reply may have (default 512); a request's {@code maxOutputTokens} overrides it. */
    public B maxTokens(Integer v) {
        this.maxTokens = v;
        return self();
    }

    /**
     * Whether one reply may call several tools (default false, as llama-server's {@code parallel_tool_calls}:
     * small models tend to repeat a call).
     */
    public B parallelToolCalls(boolean v) {
        this.parallelToolCalls = v;
        return self();
    }

    public B stopSequences(List<String> v) {
        this.stopSequences = v;
        return self();
    }

    LocalChat buildChat() {
        return LocalChat.of(this);
    }
}
