package io.github.ggml4j.memory;

import io.github.ggml4j.arch.HParams;

import java.lang.foreign.MemorySegment;

/**
 * Picks the KV memory of an attention decoder from its spec: a unified {@link KvCache} (with the window in
 * its mask when one is set), a {@link StreamedKvCache} when the spec asks for streams, a {@link RollingKvCache} of W slots per sequence, or — when the window applies
 * to some layers only — an {@link InterleavedKvCache} composing one of those for the windowed layers with a
 * full cache for the others.
 */
public final class AttentionMemory {

    private AttentionMemory() {
    }

    /** The memory the spec asks for. */
    public static Memory create(MemorySpec spec) {
        HParams hp = spec.hparams();
        if (spec.window() > 0 && hp.mixedSwa()) {
            return new InterleavedKvCache(spec);
        }
        if (spec.window() > 0 && spec.rolling()) {
            return new RollingKvCache(spec);
        }
        if (spec.streams() > 1) {
            return new StreamedKvCache(spec, spec.streams());
        }
        return new KvCache(hp, spec.cells(), spec.maxTokens(), spec.kvType().id(), spec.kvType().id(),
                spec.flashAttention(), spec.layerBufts(), spec.window());
    }

    /** Bytes {@link #create} allocates (before buffer alignment). */
    public static long bytes(MemorySpec spec) {
        HParams hp = spec.hparams();
        int nSwa = spec.window() > 0 ? hp.swaLayerCount() : 0;
        long perCellAll = perCell(hp, hp.nLayer(), spec);
        long perCellSwa = perCell(hp, nSwa, spec);
        long windowedCells = spec.rolling() && nSwa > 0 ? ringSlots(spec) : spec.cells();
        return (long) spec.cells() * (perCellAll - perCellSwa) + windowedCells * perCellSwa;
    }

    /** Slots of the rolling buffer: whole windows, at least one. */
    static int ringSlots(MemorySpec spec) {
        return Math.max(1, spec.cells() / spec.window()) * spec.window();
    }

    private static long perCell(HParams hp, int layers, MemorySpec spec) {
        return layers * (spec.kvType().rowSize(hp.nEmbdKGqa()) + spec.kvType().rowSize(hp.nEmbdVGqa()));
    }

    /** The spec of a cache over some of the layers: their buffer types, a window or none, rolling or not. */
    static MemorySpec part(MemorySpec spec, boolean windowed) {
        HParams hp = spec.hparams();
        int n = windowed ? hp.swaLayerCount() : hp.nLayer() - hp.swaLayerCount();
        MemorySegment[] bufts = new MemorySegment[n];
        int j = 0;
        for (int il = 0; il < hp.nLayer(); il++) {
            if (hp.isSwa(il) == windowed) {
                bufts[j++] = spec.layerBufts()[il];
            }
        }
        return new MemorySpec(hp.forLayers(n), spec.cells(), spec.maxTokens(), spec.kvType(), spec.flashAttention(),
                bufts, windowed ? spec.window() : 0, windowed && spec.rolling());
    }
}
