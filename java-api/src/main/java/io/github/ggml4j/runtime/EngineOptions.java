package io.github.ggml4j.runtime;

import io.github.ggml4j.gguf.GgmlType;

import java.util.Objects;

/**
 * How a model's engine runs: its memory's size and the shape of its steps.
 *
 * @param cells          KV cells shared by all sequences (a multiple of the cache padding)
 * @param ubatchSize     tokens per graph (micro-batch)
 * @param threads        CPU threads for ggml
 * @param flashAttention use ggml_flash_attn_ext (V cache not transposed)
 * @param kvType         element type of the KV cache (F16, F32, Q8_0, Q4_0)
 * @param cachedPrompts  how many closed sessions' contexts are kept for prefix reuse until their cells are needed
 * @param slidingWindow  attention window (0: full attention)
 * @param rolling        a rolling-buffer cache of {@code slidingWindow} slots per sequence instead of a full one
 * @param kvStreams      1 for one cache shared by all sequences, N for N streams of {@code cells / N}
 * @param promptCacheBytes host memory for closed sessions' contexts once their cells are needed (0: none)
 */
public record EngineOptions(int cells, int ubatchSize, int threads, boolean flashAttention, GgmlType kvType,
                            int cachedPrompts, int slidingWindow, boolean rolling, int kvStreams,
                            long promptCacheBytes) {

    public EngineOptions {
        Objects.requireNonNull(kvType, "kvType");
        if (cells <= 0 || ubatchSize <= 0 || threads <= 0 || cachedPrompts < 0 || slidingWindow < 0
                || (rolling && slidingWindow == 0) || kvStreams < 1 || cells / kvStreams < 1 || promptCacheBytes < 0) {
            throw new IllegalArgumentException("cells, ubatchSize and threads must be positive: " + cells + ", "
                    + ubatchSize + ", " + threads);
        }
    }

    /** Options without a prompt cache. */
    public EngineOptions(int cells, int ubatchSize, int threads, boolean flashAttention, GgmlType kvType,
                         int cachedPrompts, int slidingWindow, boolean rolling, int kvStreams) {
        this(cells, ubatchSize, threads, flashAttention, kvType, cachedPrompts, slidingWindow, rolling, kvStreams, 0);
    }

    /** Options with one cache shared by all sequences. */
    public EngineOptions(int cells, int ubatchSize, int threads, boolean flashAttention, GgmlType kvType,
                         int cachedPrompts, int slidingWindow, boolean rolling) {
        this(cells, ubatchSize, threads, flashAttention, kvType, cachedPrompts, slidingWindow, rolling, 1);
    }
}
