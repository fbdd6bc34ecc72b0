package io.github.ggml4j.model;

/**
 * How layers offloaded with {@link ModelOptions#gpuLayers()} are spread over the GPUs (llama.cpp's
 * {@code --split-mode}). Splitting single tensors across GPUs by rows (llama.cpp's {@code row}) is not offered.
 *
 * {@snippet :
 * ModelOptions one = ModelOptions.defaults().withGpuLayers(99).withSplitMode(SplitMode.NONE).withMainDevice(1);
 * ModelOptions all = ModelOptions.defaults().withGpuLayers(99).withSplitMode(SplitMode.LAYER);
 * }
 */
public enum SplitMode {
    /** Every offloaded layer on the main device. */
    NONE,
    /** Offloaded blocks in consecutive runs over all GPUs, in proportion to each one's free memory; the output
     *  head on the main device. */
    LAYER
}
