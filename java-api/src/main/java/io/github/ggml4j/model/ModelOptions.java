package io.github.ggml4j.model;

/**
 * How a model is loaded.
 *
 * {@snippet :
 * ModelOptions opts = ModelOptions.defaults().withRepack(false); // pure zero-copy weights
 * }
 *
 * @param mmap      keep plain CPU weights in the file mapping (zero-copy); false copies them into memory
 * @param repack    store weights whose type has a faster CPU layout (Q4_0, IQ4_NL, Q4_K ...) in that layout;
 *                  those tensors are copied out of the mapping at load (about 1.5x faster prompt processing)
 * @param gpuLayers how many of the last blocks to offload to the first GPU when one is available (a value
 *                  above the block count offloads the output head too); 0 keeps everything on the CPU
 */
public record ModelOptions(boolean mmap, boolean repack, int gpuLayers) {

    public ModelOptions {
        if (gpuLayers < 0) {
            throw new IllegalArgumentException("gpuLayers must be >= 0, got " + gpuLayers);
        }
    }

    /** mmap on, repacking on, no GPU offload: llama.cpp's CPU defaults. */
    public static ModelOptions defaults() {
        return new ModelOptions(true, true, 0);
    }

    public ModelOptions withMmap(boolean value) {
        return new ModelOptions(value, repack, gpuLayers);
    }

    public ModelOptions withRepack(boolean value) {
        return new ModelOptions(mmap, value, gpuLayers);
    }

    public ModelOptions withGpuLayers(int value) {
        return new ModelOptions(mmap, repack, value);
    }
}
