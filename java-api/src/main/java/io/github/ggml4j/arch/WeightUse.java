package io.github.ggml4j.arch;

/**
 * How a weight is used in the graph. The loader asks the backends whether they can run that operation on
 * the weight's type and buffer, which picks where the weight lives (repacked, mapped, on a GPU) and turns an
 * unsupported type into a typed error instead of a native assert.
 */
public enum WeightUse {
    /** Left operand of a matrix multiplication (projections, FFN, output head). */
    MUL_MAT,
    /** Source of a row lookup (token embeddings). */
    GET_ROWS,
    /** Element-wise multiplier (norm weights). */
    MUL,
    /** Element-wise addend (biases). */
    ADD,
    /** RoPE frequency factors. */
    ROPE
}
