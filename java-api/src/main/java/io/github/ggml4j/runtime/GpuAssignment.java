package io.github.ggml4j.runtime;

import io.github.ggml4j.ModelException;

import java.util.Arrays;

/**
 * Which GPU holds each block and the output head, decided once at load from the placement and the GPUs' free
 * memory (llama.cpp's default tensor split). Blocks are indexed 0..nLayer-1; index nLayer is the output head;
 * -1 means the CPU.
 */
public final class GpuAssignment {

    private final int[] gpuOf;

    private GpuAssignment(int[] gpuOf) {
        this.gpuOf = gpuOf;
    }

    /** Everything on the CPU. */
    static GpuAssignment cpuOnly(int nLayer) {
        int[] a = new int[nLayer + 1];
        Arrays.fill(a, -1);
        return new GpuAssignment(a);
    }

    /**
     * The assignment for {@code nLayer} blocks over GPUs with these free bytes (one entry per GPU, in
     * {@link Devices#gpus()} order). The last {@code gpuLayers} blocks are offloaded, the output head too when
     * {@code gpuLayers > nLayer}. With {@code splitLayers} the offloaded blocks go in consecutive runs over all GPUs
     * in proportion to their free memory, else all to the main device; the head goes to the main device.
     *
     * @throws ModelException if layers are offloaded and {@code mainDevice} is not among the GPUs
     */
    static GpuAssignment of(WeightLoader.Placement p, int nLayer, long[] freeBytes) {
        GpuAssignment a = cpuOnly(nLayer);
        int nGpu = freeBytes.length;
        if (p.gpuLayers() == 0 || nGpu == 0) {
            return a;
        }
        if (p.mainDevice() >= nGpu) {
            throw new ModelException("main device " + p.mainDevice() + " does not exist: there "
                    + (nGpu == 1 ? "is 1 GPU" : "are " + nGpu + " GPUs") + " (see ggml4j info)");
        }
        int offloaded = Math.min(p.gpuLayers(), nLayer);
        int first = nLayer - offloaded;
        double total = 0;
        for (long f : freeBytes) {
            total += Math.max(0, f);
        }
        for (int i = 0; i < offloaded; i++) {
            int dev = p.mainDevice();
            if (p.splitLayers() && nGpu > 1 && total > 0) {
                // the first GPU whose cumulative share of free memory lies beyond this block's share of the run
                double at = (double) i / offloaded;
                double cum = 0;
                for (int g = 0; g < nGpu; g++) {
                    cum += Math.max(0, freeBytes[g]) / total;
                    if (at < cum || g == nGpu - 1) {
                        dev = g;
                        break;
                    }
                }
            }
            a.gpuOf[first + i] = dev;
        }
        if (p.gpuLayers() > nLayer) {
            a.gpuOf[nLayer] = p.mainDevice();
        }
        return a;
    }

    /** The GPU index of a block, {@link io.github.ggml4j.arch.WeightSource#OUTPUT} (the head) or INPUT, or -1. */
    public int gpuOf(int layer, int nLayer) {
        if (layer == io.github.ggml4j.arch.WeightSource.INPUT) {
            return -1; // token embeddings stay on the CPU, as in llama.cpp
        }
        return layer == io.github.ggml4j.arch.WeightSource.OUTPUT ? gpuOf[nLayer] : gpuOf[layer];
    }

    /** The distinct GPUs in use, main device first (the scheduler prefers earlier backends). */
    public int[] gpusInUse(int mainDevice) {
        return Arrays.stream(gpuOf).filter(g -> g >= 0).distinct()
                .boxed().sorted((x, y) -> x == mainDevice ? -1 : y == mainDevice ? 1 : Integer.compare(x, y))
                .mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String toString() {
        return Arrays.toString(gpuOf);
    }
}
