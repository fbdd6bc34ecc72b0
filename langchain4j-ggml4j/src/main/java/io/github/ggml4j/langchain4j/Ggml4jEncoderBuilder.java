package io.github.ggml4j.langchain4j;

import io.github.ggml4j.ModelException;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.model.Pooling;

import java.util.function.Predicate;

/**
 * What {@link Ggml4jEmbeddingModel#builder()} and {@link Ggml4jScoringModel#builder()} share: the encoder model
 * (a file to load, owned and closed by the built model, or a {@link Model} the caller keeps) and its name.
 *
 * {@snippet :
 * Ggml4jEmbeddingModel embeddings = Ggml4jEmbeddingModel.builder()
 *         .modelPath(Path.of("bge-small-en-v1.5-q8_0.gguf"))
 *         .build();
 * }
 *
 * @param <B> the concrete builder
 */
public abstract sealed class Ggml4jEncoderBuilder<B extends Ggml4jEncoderBuilder<B>> extends Ggml4jModelSource<B>
        permits Ggml4jEmbeddingModel.Builder, Ggml4jScoringModel.Builder {

    Ggml4jEncoderBuilder() {
    }

    /** The loaded model and whether the built model owns it. */
    record Opened(Model model, boolean owned, String name) {
    }

    /**
     * Loads the model when given a path, and checks that its pooling is what the built model needs.
     *
     * @param what   the needed kind, for the error ("an embedding model (pooling mean, cls or last)")
     */
    Opened open(Predicate<Pooling> accepted, String what) {
        if ((model == null) == (modelPath == null)) {
            throw new IllegalArgumentException("give modelPath(...) or model(...), exactly one");
        }
        Model m = model != null ? model : Model.load(modelPath, modelOptions != null ? modelOptions
                : ModelOptions.defaults());
        try {
            Pooling p = m.pooling().orElseThrow(() -> new ModelException(m.path().getFileName() + " is a decoder; "
                    + what + " needs an encoder"));
            if (!accepted.test(p)) {
                throw new ModelException(m.path().getFileName() + " has pooling " + p.name().toLowerCase(
                        java.util.Locale.ROOT) + "; " + what + " needs another");
            }
            m.tokenizer(); // an encoder without a vocabulary cannot read text: fail at build time
            return new Opened(m, model == null, modelName != null ? modelName : m.path().getFileName().toString());
        } catch (RuntimeException e) {
            if (model == null) {
                m.close();
            }
            throw e;
        }
    }
}
