package io.github.ggml4j.model;

/**
 * The shape of a transformer model.
 *
 * @param vocabularySize   tokens in the vocabulary
 * @param trainedContext   context length the model was trained with
 * @param embeddingLength  width of the residual stream
 * @param blockCount       number of transformer blocks
 * @param feedForwardLength width of the feed-forward layer
 * @param headCount        attention (query) heads
 * @param headCountKv      key/value heads (fewer than headCount with grouped-query attention)
 * @param headDim          width of one head
 * @param ropeFreqBase     RoPE base frequency
 * @param rmsEpsilon       RMSNorm epsilon
 */
public record HyperParameters(int vocabularySize, int trainedContext, int embeddingLength, int blockCount,
                              int feedForwardLength, int headCount, int headCountKv, int headDim, float ropeFreqBase,
                              float rmsEpsilon) {
}
