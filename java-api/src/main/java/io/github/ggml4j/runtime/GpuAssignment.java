package io.github.ggml4j.runtime;

import io.github.ggml4j.ModelException;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * Which offload device (a GPU or a remote RPC device) holds each block and the output head, decided once at load
 * from the placement and the devices' free memory or the tensor split, by llama.cpp's rule
 * ({@code llama_model::load_tensors}). Blocks are indexed 0..nLayer-1; index nLayer is the output head; -1 means the
 * CPU.
 */
public final class GpuAssignment {

    private final int[] gpuOf;
    private final List<MemorySegment> devices;

    private GpuAssignment(int[] gpuOf, List<MemorySegment> devices) {
        this.gpuOf = gpuOf;
        this.devices = devices;
    }

    /** Everything on the CPU. */
    static GpuAssignment cpuOnly(int nLayer) {
        int[] a = new int[nLayer + 1];
        Arrays.fill(a, -1);
        return new GpuAssignment(a, List.of());
    }

    /** As {@link #of(WeightLoader.Placement, int, List, double[])} for devices known only by their free bytes. */
    static GpuAssignment of(WeightLoader.Placement p, int nLayer, long[] freeBytes) {
        return of(p, nLayer, List.of(), Arrays.stream(freeBytes).asDoubleStream().toArray());
    }

    /**
     * The assignment for {@code nLayer} blocks over offload devices with these weights (their free memory, or the
     * tensor split; one entry per device, in the order of {@code devices}). {@link WeightLoader.Placement#offloads}
     * decides what is offloaded: the head first, then the blocks from the last one down. With
     * {@code splitLayers} the offloaded layers (the head counted as the last one) go in consecutive runs over the
     * devices in proportion to their weights, as llama.cpp splits them; else all to the main device.
     *
     * @throws ModelException if layers are offloaded and {@code mainDevice} is not among the devices
     */
    static GpuAssignment of(WeightLoader.Placement p, int nLayer, List<MemorySegment> devices, double[] weights) {
        GpuAssignment a = cpuOnly(nLayer);
        int nGpu = weights.length;
        if (p.gpuLayers() == 0 || nGpu == 0) {
            return a;
        }
        if (p.mainDevice() >= nGpu) {
            throw new ModelException("main device " + p.mainDevice() + " does not exist: there "
                    + (nGpu == 1 ? "is 1 GPU" : "are " + nGpu + " GPUs") + " (see ggml4j info)");
        }
        int units = Math.min(p.gpuLayers(), nLayer + 1); // llama.cpp's act_gpu_layers: blocks and the head
        int first = nLayer + 1 - units;
        // llama.cpp's split points, in its float arithmetic: cumulative shares normalized to end at 1
        float[] splits = new float[nGpu];
        float sum = 0;
        for (int g = 0; g < nGpu; g++) {
            sum += (float) Math.max(0, weights[g]);
            splits[g] = sum;
        }
        for (int g = 0; g < nGpu; g++) {
            splits[g] /= sum;
        }
        for (int i = 0; i < units; i++) {
            int dev = p.mainDevice();
            if (p.splitLayers() && nGpu > 1 && sum > 0) {
                // upper_bound: the first device whose split point lies beyond this layer's share of the run
                float at = (float) i / units;
                dev = nGpu - 1;
                for (int g = 0; g < nGpu; g++) {
                    if (splits[g] > at) {
                        dev = g;
                        break;
                    }
                }
            }
            a.gpuOf[first + i] = dev;
        }
        return new GpuAssignment(a.gpuOf, List.copyOf(devices));
    }

    /** The GPU index of a block, {@link io.github.ggml4j.arch.WeightSource#OUTPUT} (the head) or INPUT, or -1. */
    public int gpuOf(int layer, int nLayer) {
        if (layer == io.github.ggml4j.arch.WeightSource.INPUT) {
            return -1; // token embeddings stay on the CPU, as in llama.cpp
        }
        return layer == io.github.ggml4j.arch.WeightSource.OUTPUT ? gpuOf[nLayer] : gpuOf[layer];
    }

    /** The ggml device of an index {@link #gpuOf} returned. */
    MemorySegment device(int index) {
        return devices.get(index);
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
