package io.github.ggml4j.quantize;

/**
 * Told how far a {@link Quantizer} run has got, from the thread that runs it, after each slab of rows.
 *
 * {@snippet :
 * ProgressListener p = (tensor, tensors, name, done, total) ->
 *         System.err.printf("[%d/%d] %s %d%%%n", tensor + 1, tensors, name, 100 * done / Math.max(1, total));
 * }
 */
@FunctionalInterface
public interface ProgressListener {

    /** Ignores progress. */
    ProgressListener NONE = (tensor, tensors, name, done, total) -> { };

    /**
     * @param tensor  index of the tensor being written (0-based)
     * @param tensors number of tensors
     * @param name    its name
     * @param done    input bytes processed so far, over all tensors
     * @param total   input bytes of all tensors
     */
    void progress(int tensor, int tensors, String name, long done, long total);
}
