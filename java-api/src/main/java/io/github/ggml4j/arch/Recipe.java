package io.github.ggml4j.arch;

import io.github.ggml4j.gguf.GgufMetadata;
import io.github.ggml4j.memory.AttentionMemory;
import io.github.ggml4j.memory.Memory;
import io.github.ggml4j.memory.MemorySpec;

import java.lang.foreign.MemorySegment;

/**
 * One architecture: how to read its hyper-parameters, which weights it has, which memory it keeps between
 * steps, whether its attention is causal, what it outputs, and how its forward pass is built from the
 * {@link GraphBuilder} toolkit. Adding an architecture is one class plus one line in {@link Recipes}; the
 * engine never branches on the architecture.
 *
 * @param <W> the recipe's own record of bound weights
 */
public interface Recipe<W> {

    /** The {@code general.architecture} value this recipe handles. */
    String name();

    /** Reads and validates the hyper-parameters. */
    HParams hparams(GgufMetadata metadata);

    /** Binds every weight the forward pass uses. */
    W bind(WeightSource weights, HParams hp);

    /** Builds the forward pass for one micro-batch and returns its outputs [width, n_outputs]. */
    MemorySegment build(GraphBuilder g, W weights);

    /** Whether a token sees only earlier positions of its sequence (decoders) or all of them (encoders). */
    default boolean causal() {
        return true;
    }

    /**
     * The most positions a sequence may hold: unlimited for relative positions (RoPE, ALiBi), the rows of the
     * table for learned absolute positions (GPT-2), which a position past them would index out of bounds.
     */
    default int maxPositions(HParams hp) {
        return Integer.MAX_VALUE;
    }

    /** What each output row holds. */
    default OutputKind output(HParams hp) {
        return OutputKind.LOGITS;
    }

    /**
     * The memory this architecture keeps between steps: for attention decoders a unified KV cache, a rolling
     * buffer with a sliding window, or both when the window applies to some layers only.
     */
    default Memory newMemory(MemorySpec spec) {
        return AttentionMemory.create(spec);
    }

    /** Bytes {@link #newMemory} will allocate, for the up-front memory check. */
    default long memoryBytes(MemorySpec spec) {
        return AttentionMemory.bytes(spec);
    }

    /**
     * The encoder half of an encoder–decoder (T5): a recipe over the same weights that reads each prompt once;
     * its token states go into this recipe's memory ({@link io.github.ggml4j.memory.EncoderOutputs}) for the
     * decoder's cross-attention, and the decoder starts from {@code startToken}. Empty for other models.
     *
     * @param metadata the model's metadata (the start token is read from it)
     */
    default java.util.Optional<EncoderDecoder<W>> encoderDecoder(GgufMetadata metadata) {
        return java.util.Optional.empty();
    }

    /**
     * The encoder of an encoder–decoder model and the token its decoder starts from.
     *
     * @param encoder    runs over the prompt with the model's weights, producing token states
     * @param startToken the decoder's first token ({@code decoder_start_token_id}, else BOS as llama.cpp falls back)
     */
    record EncoderDecoder<W>(Recipe<W> encoder, int startToken) {
    }
}
