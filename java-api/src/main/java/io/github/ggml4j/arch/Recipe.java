package io.github.ggml4j.arch;

import io.github.ggml4j.gguf.GgufMetadata;

import java.lang.foreign.MemorySegment;

/**
 * One architecture: how to read its hyper-parameters, which weights it has, and how its forward pass is
 * built from the {@link GraphBuilder} toolkit. Adding an architecture is one class plus one line in
 * {@link Recipes}.
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

    /** Builds the forward pass for one micro-batch and returns the logits [n_vocab, n_outputs]. */
    MemorySegment build(GraphBuilder g, W weights);
}
