package io.github.ggml4j.model;

import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How a model is loaded.
 *
 * {@snippet :
 * ModelOptions opts = ModelOptions.defaults().withRepack(false);              // pure zero-copy weights
 * ModelOptions noAmx = ModelOptions.defaults().withDisabledBufferTypes(Set.of("AMX")); // like --no-amx
 * }
 *
 * @param mmap      keep plain CPU weights in the file mapping (zero-copy); false copies them into memory
 * @param repack    store weights whose type has a faster CPU layout (Q4_0, IQ4_NL, Q4_K ...) in that layout;
 *                  those tensors are copied out of the mapping at load (about 1.5x faster prompt processing)
 * @param gpuLayers how many of the last blocks to offload to the first GPU when one is available (a value
 *                  above the block count offloads the output head too); 0 keeps everything on the CPU
 * @param disabledBufferTypes CPU extra buffer types never to place weights in, by ggml's name in any case
 *                  ({@code AMX}, {@code CPU_REPACK}); on top of those the kernel probe or
 *                  {@code -Dggml4j.cpu.disable} switched off
 */
public record ModelOptions(boolean mmap, boolean repack, int gpuLayers, Set<String> disabledBufferTypes) {

    public ModelOptions {
        if (gpuLayers < 0) {
            throw new IllegalArgumentException("gpuLayers must be >= 0, got " + gpuLayers);
        }
        Objects.requireNonNull(disabledBufferTypes, "disabledBufferTypes");
        for (String n : disabledBufferTypes) {
            if (n == null || n.isBlank() || !n.strip().equals(n)) {
                throw new IllegalArgumentException("bad buffer type name '" + n + "' in disabledBufferTypes");
            }
        }
        disabledBufferTypes = disabledBufferTypes.stream().map(n -> n.toUpperCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
    }

    /** Options without disabled buffer types. */
    public ModelOptions(boolean mmap, boolean repack, int gpuLayers) {
        this(mmap, repack, gpuLayers, Set.of());
    }

    /** mmap on, repacking on, no GPU offload: llama.cpp's CPU defaults. */
    public static ModelOptions defaults() {
        return new ModelOptions(true, true, 0, Set.of());
    }

    public ModelOptions withMmap(boolean value) {
        return new ModelOptions(value, repack, gpuLayers, disabledBufferTypes);
    }

    public ModelOptions withRepack(boolean value) {
        return new ModelOptions(mmap, value, gpuLayers, disabledBufferTypes);
    }

    public ModelOptions withGpuLayers(int value) {
        return new ModelOptions(mmap, repack, value, disabledBufferTypes);
    }

    /** Never place weights in these CPU extra buffer types (e.g. {@code Set.of("AMX")}). */
    public ModelOptions withDisabledBufferTypes(Set<String> names) {
        return new ModelOptions(mmap, repack, gpuLayers, names);
    }
}
