package io.github.ggml4j.model;

import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.arch.Recipes;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufMetadata;

import java.util.ArrayList;
import java.util.List;

/**
 * How a model's attention layers use a sliding window, read from its metadata alone (no weights loaded):
 * {@code <arch>.attention.sliding_window} and, where the architecture has one,
 * {@code <arch>.attention.sliding_window_pattern}.
 *
 * {@snippet :
 * try (GgufFile f = GgufFile.open(path)) {
 *     AttentionLayout a = AttentionLayout.of(f.metadata());
 *     long perSequence = a.rollingBytesPerSequence(GgmlType.F16, 4096); // W slots windowed + 4096 dense
 * }
 * }
 *
 * @param architecture   {@code general.architecture}
 * @param layers         attention layers
 * @param window         the window W (a token sees the last W positions), 0 for none
 * @param windowedLayers the layers that use it, in order (empty when {@code window} is 0)
 * @param kvWidth        K plus V values one layer stores per position
 */
public record AttentionLayout(String architecture, int layers, int window, List<Integer> windowedLayers,
                              long kvWidth) {

    public AttentionLayout {
        windowedLayers = List.copyOf(windowedLayers);
        if (layers <= 0 || window < 0 || kvWidth <= 0 || windowedLayers.size() > layers
                || (window == 0 && !windowedLayers.isEmpty())) {
            throw new IllegalArgumentException("inconsistent attention layout: " + layers + " layers, window " + window
                    + ", windowed " + windowedLayers);
        }
    }

    /**
     * The layout of a model file of a supported architecture.
     *
     * @throws io.github.ggml4j.ModelException if the architecture is not supported or the metadata is unusable
     */
    public static AttentionLayout of(GgufMetadata metadata) {
        HParams hp = Recipes.forArchitecture(metadata.architecture()).hparams(metadata);
        List<Integer> windowed = new ArrayList<>();
        for (int il = 0; il < hp.nLayer() && hp.slidingWindow() > 0; il++) {
            if (hp.isSwa(il)) {
                windowed.add(il);
            }
        }
        return new AttentionLayout(hp.arch(), hp.nLayer(), hp.slidingWindow(), windowed,
                (long) hp.nEmbdKGqa() + hp.nEmbdVGqa());
    }

    /** Layers that attend over every position. */
    public int denseLayers() {
        return layers - windowedLayers.size();
    }

    /** KV bytes of one position in one layer, in the cache's element type. */
    public long bytesPerLayerPosition(GgmlType kvType) {
        return kvType.rowSize(kvWidth);
    }

    /** KV bytes per sequence with the rolling layout: W slots for windowed layers, {@code positions} for dense. */
    public long rollingBytesPerSequence(GgmlType kvType, int positions) {
        return bytesPerLayerPosition(kvType) * ((long) windowedLayers.size() * window + (long) denseLayers() * positions);
    }

    /** KV bytes per sequence with the full layout: every layer keeps every position. */
    public long fullBytesPerSequence(GgmlType kvType, int positions) {
        return bytesPerLayerPosition(kvType) * layers * positions;
    }
}
