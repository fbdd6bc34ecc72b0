package io.github.ggml4j.memory;

import java.lang.foreign.MemorySegment;

/**
 * A memory that recurrent layers read their per-sequence state from and write it back to (RWKV's token
 * shift and WKV state). The graph toolkit's recurrent helpers go through this and nothing else.
 */
public interface StateStore {

    /** The two states each recurrent layer keeps per sequence. */
    enum Part {
        /** The last token's normalized input of the time mix and of the channel mix ([n_embd × 2]). */
        SHIFT,
        /** The WKV matrix state of every head ([head_size × n_embd]). */
        WKV
    }

    /** Sequences in this micro-batch (each brings the same number of tokens). */
    int sequences(GraphInputs inputs);

    /** This layer's {@code part} for the batch's sequences, in batch order: [floats, n_seqs] F32, contiguous. */
    MemorySegment load(MemorySegment ctx, GraphInputs inputs, int il, Part part);

    /**
     * The write of a new {@code part} ([floats, n_seqs], contiguous) for the batch's sequences; the caller adds
     * the returned node to the graph.
     */
    MemorySegment store(MemorySegment ctx, GraphInputs inputs, int il, Part part, MemorySegment value);
}
