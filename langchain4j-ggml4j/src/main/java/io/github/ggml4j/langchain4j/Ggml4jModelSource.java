package io.github.ggml4j.langchain4j;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;

import java.nio.file.Path;

/**
 * Where every builder of this module takes its model from: a file to load (owned and closed by the built object)
 * or a {@link Model} the caller keeps, how the file is loaded, and the name the model goes by.
 *
 * {@snippet :
 * Ggml4jChatModel chat = Ggml4jChatModel.builder().modelPath(Path.of("model.gguf")).build();
 * Ggml4jEmbeddingModel embeddings = Ggml4jEmbeddingModel.builder().model(loadedEncoder).build();
 * }
 *
 * @param <B> the concrete builder
 */
public abstract sealed class Ggml4jModelSource<B extends Ggml4jModelSource<B>>
        permits Ggml4jModelBuilder, Ggml4jEncoderBuilder {

    Path modelPath;
    Model model;
    ModelOptions modelOptions;
    String modelName;

    Ggml4jModelSource() {
    }

    @SuppressWarnings("unchecked")
    final B self() {
        return (B) this;
    }

    /** The GGUF file to load; the built object owns the loaded model and closes it. */
    public B modelPath(Path v) {
        this.modelPath = v;
        return self();
    }

    /** A model already loaded (shared with other users; the built object does not close it). */
    public B model(Model v) {
        this.model = v;
        return self();
    }

    /** How {@link #modelPath} is loaded (default {@link ModelOptions#defaults()}). */
    public B modelOptions(ModelOptions v) {
        this.modelOptions = v;
        return self();
    }

    /** The model's name in responses (default: the file name). */
    public B modelName(String v) {
        this.modelName = v;
        return self();
    }
}
