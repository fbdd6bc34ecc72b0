package io.github.ggml4j.langchain4j;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.output.TokenUsage;
import dev.langchain4j.model.scoring.ScoringModel;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.Pooling;

import java.util.ArrayList;
import java.util.List;

/**
 * A LangChain4j {@link ScoringModel} over a cross-encoder reranker GGUF (an encoder with pooling rank and a
 * classification head) in process, for {@code ReRankingContentAggregator}: each segment is scored against the
 * query; higher is more relevant.
 *
 * {@snippet :
 * try (Ggml4jScoringModel reranker = Ggml4jScoringModel.builder()
 *         .modelPath(Path.of("bge-reranker-v2-m3-q8_0.gguf")).build()) {
 *     ContentAggregator aggregator = ReRankingContentAggregator.builder().scoringModel(reranker).build();
 * }
 * }
 */
public final class Ggml4jScoringModel implements ScoringModel, AutoCloseable {

    private final Model model;
    private final boolean owned;
    private final String name;

    private Ggml4jScoringModel(Ggml4jEncoderBuilder.Opened o) {
        this.model = o.model();
        this.owned = o.owned();
        this.name = o.name();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Response<List<Double>> scoreAll(List<TextSegment> segments, String query) {
        List<String> docs = new ArrayList<>(segments.size());
        int tokens = 0;
        for (TextSegment s : segments) {
            docs.add(s.text());
            tokens += model.tokenizer().encode(s.text(), true, true).length;
        }
        float[] scores = model.rank(query, docs);
        List<Double> out = new ArrayList<>(scores.length);
        for (float s : scores) {
            out.add((double) s);
        }
        return Response.from(out, new TokenUsage(tokens));
    }

    /** The model's name. */
    public String modelName() {
        return name;
    }

    /** Closes the model when this scoring model loaded it. */
    @Override
    public void close() {
        if (owned) {
            model.close();
        }
    }

    /** Builds a {@link Ggml4jScoringModel}; see {@link Ggml4jEncoderBuilder} for the model settings. */
    public static final class Builder extends Ggml4jEncoderBuilder<Builder> {

        private Builder() {
        }

        /**
         * Loads the model (when given a path) and checks that it is a reranker.
         *
         * @throws io.github.ggml4j.ModelException if it is a decoder or an encoder without pooling rank
         */
        public Ggml4jScoringModel build() {
            return new Ggml4jScoringModel(open(p -> p == Pooling.RANK, "a scoring model (a reranker, pooling rank)"));
        }
    }
}
