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
 */
public record EncoderParams(Pooling pooling, int nClsOut, List<String> labels, int nTokenTypes) {

    public EncoderParams {
        Objects.requireNonNull(pooling, "pooling");
        labels = List.copyOf(labels);
        if (nClsOut <= 0 || nTokenTypes < 0) {
            throw new ModelException("classifier outputs " + nClsOut + " and token types " + nTokenTypes
                    + " must be positive and non-negative");
        }
        if (!labels.isEmpty() && labels.size() != nClsOut) {
            throw new ModelException(labels.size() + " classifier labels for " + nClsOut + " outputs");
        }
    }
}
