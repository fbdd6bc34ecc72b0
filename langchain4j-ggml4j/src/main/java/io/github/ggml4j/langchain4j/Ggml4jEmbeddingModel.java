package io.github.ggml4j.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.output.TokenUsage;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.Pooling;

import java.util.ArrayList;
import java.util.List;

/**
 * A LangChain4j {@link EmbeddingModel} over an encoder GGUF (BERT, nomic-bert) in process: the pooling the file
 * names (mean, CLS or last), L2-normalised vectors, a whole list embedded in shared steps.
 *
 * {@snippet :
 * try (Ggml4jEmbeddingModel embeddings = Ggml4jEmbeddingModel.builder()
 *         .modelPath(Path.of("bge-small-en-v1.5-q8_0.gguf")).build()) {
 *     EmbeddingStore<TextSegment> store = new InMemoryEmbeddingStore<>();
 *     TextSegment s = TextSegment.from("Pandas eat bamboo.");
 *     store.add(embeddings.embed(s).content(), s);
 * }
 * }
 */
public final class Ggml4jEmbeddingModel implements EmbeddingModel, AutoCloseable {

    private final Model model;
    private final boolean owned;
    private final String name;
    private final boolean normalize;
    private final int dimension;

    private Ggml4jEmbeddingModel(Ggml4jEncoderBuilder.Opened o, boolean normalize) {
        this.model = o.model();
        this.owned = o.owned();
        this.name = o.name();
        this.normalize = normalize;
        this.dimension = model.info().hyperParameters().embeddingLength();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
        List<String> texts = new ArrayList<>(segments.size());
        int tokens = 0;
        for (TextSegment s : segments) {
            texts.add(s.text());
            tokens += model.tokenizer().encode(s.text(), true, true).length;
        }
        float[][] v = model.embed(texts, normalize);
        List<Embedding> out = new ArrayList<>(v.length);
        for (float[] row : v) {
            out.add(Embedding.from(row));
        }
        return Response.from(out, new TokenUsage(tokens));
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public String modelName() {
        return name;
    }

    /** Closes the model when this embedding model loaded it. */
    @Override
    public void close() {
        if (owned) {
            model.close();
        }
    }

    /** Builds a {@link Ggml4jEmbeddingModel}; see {@link Ggml4jEncoderBuilder} for the model settings. */
    public static final class Builder extends Ggml4jEncoderBuilder<Builder> {

        private boolean normalize = true;

        private Builder() {
        }

        /** Scale each vector to unit length (default true: cosine similarity is then a dot product). */
        public Builder normalize(boolean v) {
            this.normalize = v;
            return this;
        }

        /**
         * Loads the model (when given a path) and checks that it is a sentence-embedding encoder.
         *
         * @throws io.github.ggml4j.ModelException if it is a decoder, a reranker, or pools nothing
         */
        public Ggml4jEmbeddingModel build() {
            return new Ggml4jEmbeddingModel(open(p -> p == Pooling.MEAN || p == Pooling.CLS || p == Pooling.LAST,
                    "an embedding model (pooling mean, cls or last)"), normalize);
        }
    }
}
