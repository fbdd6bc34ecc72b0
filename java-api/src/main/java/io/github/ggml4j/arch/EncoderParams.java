package io.github.ggml4j.arch;

import io.github.ggml4j.model.Pooling;
import io.github.ggml4j.ModelException;

import java.util.List;
import java.util.Objects;

/**
 * What an encoder adds to the transformer hyper-parameters.
 *
 * @param pooling     how token states become one vector per input
 * @param nClsOut     rows of the classification head's output (a reranker's scores), 1 without labels
 * @param labels      the classifier's output labels ({@code <arch>.classifier.output_labels}), or empty
 * @param nTokenTypes rows of the token-type embedding ({@code tokenizer.ggml.token_type_count})
 * @param relativeBuckets T5's relative position buckets ({@code <arch>.attention.relative_buckets_count}), or 0
 */
public record EncoderParams(Pooling pooling, int nClsOut, List<String> labels, int nTokenTypes, int relativeBuckets) {

    /** An encoder without relative position buckets (BERT). */
    public EncoderParams(Pooling pooling, int nClsOut, List<String> labels, int nTokenTypes) {
        this(pooling, nClsOut, labels, nTokenTypes, 0);
    }

    public EncoderParams {
        Objects.requireNonNull(pooling, "pooling");
        labels = List.copyOf(labels);
        if (nClsOut <= 0 || nTokenTypes < 0) {
            throw new ModelException("classifier outputs " + nClsOut + " and token types " + nTokenTypes
                    + " must be positive and non-negative");
        }
        if (relativeBuckets < 0 || relativeBuckets % 2 != 0 || relativeBuckets > 1 << 16) {
            throw new ModelException("relative_buckets_count " + relativeBuckets + " must be even and at most 65536");
        }
        if (!labels.isEmpty() && labels.size() != nClsOut) {
            throw new ModelException(labels.size() + " classifier labels for " + nClsOut + " outputs");
        }
    }
}
