package io.github.ggml4j.memory;

import java.lang.foreign.MemorySegment;

/**
 * A memory that keeps, per sequence, the output of an encoder for a decoder's cross-attention to read
 * (T5): the encoder's token states are stored once per prompt, and each decoder step's graph reads those of
 * the sequences in its batch, with a mask that lets each token see only its own sequence's states.
 */
public interface EncoderOutputs {

    /**
     * Stores the encoder's output for a sequence (replacing what it had).
     *
     * @param states one row of n_embd values per encoder token
     */
    void putEncoderOutput(int seq, float[][] states);

    /** The encoder states a graph reads: [n_embd, n_enc] (zero rows pad it to the graph's layout). */
    MemorySegment crossStates(GraphInputs inputs);

    /** Which encoder states each token sees: [n_enc, n_tokens], 0 or -inf (f16 with flash attention). */
    MemorySegment crossMask(GraphInputs inputs);
}
