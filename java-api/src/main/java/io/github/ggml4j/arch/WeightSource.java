package io.github.ggml4j.arch;

import java.lang.foreign.MemorySegment;

/**
 * What a recipe binds its weights through. Each call checks the tensor's presence, shape and type (case 32)
 * and returns a ggml tensor that holds the weight once loading finishes.
 *
 * <p>{@code layer} is the block index, {@link #INPUT} for the token embeddings or {@link #OUTPUT} for the
 * output norm and head; it decides placement when layers are offloaded. Shapes are in ggml order.
 */
public interface WeightSource {

    int INPUT = -1;
    int OUTPUT = Integer.MAX_VALUE;

    /** A tensor that must exist with exactly this shape. */
    MemorySegment require(String name, WeightUse use, int layer, long... shape);

    /** A tensor that may be absent (returns null); when present it must have this shape. */
    MemorySegment optional(String name, WeightUse use, int layer, long... shape);

    /**
     * {@code name} when present; otherwise a second tensor over the data of {@code fallback} (for example an
     * output head tied to the token embeddings), placed for {@code use}.
     */
    MemorySegment requireOrTie(String name, String fallback, WeightUse use, int layer, long... shape);

    /** Whether the file has a tensor of this name. */
    boolean has(String name);

    /** The shape of a tensor in the file (ggml order), or empty if there is none of this name. */
    java.util.Optional<long[]> shapeOf(String name);
}
