package io.github.ggml4j.memory;

import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * What the engine asks of a memory: how many cells (positions over all sequences, or sequence slots for a
 * recurrent state), the largest micro-batch, the cache's element type and where each layer lives.
 *
 * @param cells          cells over all sequences
 * @param maxTokens      tokens of the largest micro-batch
 * @param kvType         element type of cached keys and values
 * @param flashAttention whether attention uses flash attention (decides the V layout)
 * @param layerBufts     buffer type per layer
 * @param window         sliding attention window (a token sees the last {@code window} positions), 0 for none
 * @param rolling        keep only the window: {@code window} slots per sequence, position i in slot i mod window
 * @param streams        KV streams of {@code cells / streams} cells, one per sequence ({@link StreamedKvCache}); 1
 *                       for one cache shared by all
 */
public record MemorySpec(HParams hparams, int cells, int maxTokens, GgmlType kvType, boolean flashAttention,
                         MemorySegment[] layerBufts, int window, boolean rolling, int streams) {

    public MemorySpec {
        if (cells <= 0 || maxTokens <= 0) {
            throw new IllegalArgumentException("cells and maxTokens must be positive, got " + cells + ", " + maxTokens);
        }
        if (window < 0 || (rolling && window == 0)) {
            throw new IllegalArgumentException("a rolling cache needs a positive window, got " + window);
        }
        if (layerBufts.length != hparams.nLayer()) {
            throw new IllegalArgumentException("one buffer type per layer expected");
        }
        if (streams < 1 || cells / streams < 1) {
            throw new IllegalArgumentException(cells + " cells cannot make " + streams + " KV streams");
        }
    }

    /** A spec with one cache shared by all sequences. */
    public MemorySpec(HParams hparams, int cells, int maxTokens, GgmlType kvType, boolean flashAttention,
                      MemorySegment[] layerBufts, int window, boolean rolling) {
        this(hparams, cells, maxTokens, kvType, flashAttention, layerBufts, window, rolling, 1);
    }
}
