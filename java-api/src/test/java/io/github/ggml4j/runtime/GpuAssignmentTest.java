package io.github.ggml4j.runtime;

import io.github.ggml4j.ModelException;
import io.github.ggml4j.arch.WeightSource;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which GPU each block goes to: main device, split mode and free memory (no GPU needed: pure placement logic). */
class GpuAssignmentTest {

    private static WeightLoader.Placement placement(int gpuLayers, int mainDevice, boolean split) {
        return new WeightLoader.Placement(true, true, gpuLayers, Set.of(), mainDevice, split, false);
    }

    private static int[] blocks(GpuAssignment a, int nLayer) {
        int[] out = new int[nLayer + 2];
        out[0] = a.gpuOf(WeightSource.INPUT, nLayer);
        for (int i = 0; i < nLayer; i++) {
            out[i + 1] = a.gpuOf(i, nLayer);
        }
        out[nLayer + 1] = a.gpuOf(WeightSource.OUTPUT, nLayer);
        return out;
    }

    @Test
    void noGpusOrNoOffloadKeepsEverythingOnTheCpu() {
        assertArrayEquals(new int[] {-1, -1, -1, -1, -1, -1}, blocks(GpuAssignment.of(placement(99, 0, true), 4, new long[0]), 4));
        assertArrayEquals(new int[] {-1, -1, -1, -1, -1, -1}, blocks(GpuAssignment.of(placement(0, 3, true), 4, new long[] {1}), 4));
    }

    @Test
    void offloadedLayersGoToTheMainDeviceWithoutSplit() {
        // input, blocks 0..3, output: three layers offloaded are the head and the last two blocks (llama.cpp's -ngl)
        assertArrayEquals(new int[] {-1, -1, -1, 1, 1, 1},
                blocks(GpuAssignment.of(placement(3, 1, false), 4, new long[] {100, 100}), 4));
        // block count + 1 and beyond: everything but the input
        assertArrayEquals(new int[] {-1, 1, 1, 1, 1, 1},
                blocks(GpuAssignment.of(placement(99, 1, false), 4, new long[] {100, 100}), 4));
    }

    @Test
    void layerSplitFollowsFreeMemoryAsLlamaCppSplitsIt() {
        // 3:1 over 8 blocks and the head (9 layers, split points 0.75 and 1): layer i goes to the first device whose
        // split point exceeds i/9, so 7 blocks on device 0, the last block and the head on device 1
        GpuAssignment a = GpuAssignment.of(placement(9, 1, true), 8, new long[] {300, 100});
        assertArrayEquals(new int[] {-1, 0, 0, 0, 0, 0, 0, 0, 1, 1}, blocks(a, 8));
        assertArrayEquals(new int[] {1, 0}, a.gpusInUse(1));
        // 1:1:2 over the head and the last 3 blocks (split points .25 .5 1): one, one, two
        assertArrayEquals(new int[] {-1, -1, 0, 1, 2, 2},
                blocks(GpuAssignment.of(placement(4, 0, true), 4, new long[] {5, 5, 10}), 4));
        // a device with no free memory gets nothing
        assertArrayEquals(new int[] {-1, -1, 1, 1, 1, 1},
                blocks(GpuAssignment.of(placement(4, 1, true), 4, new long[] {0, 9}), 4));
        // 1:1 over 6 blocks and the head: 0..3 on the first (0/7 .. 3/7 < .5), 4, 5 and the head on the second
        assertArrayEquals(new int[] {-1, 0, 0, 0, 0, 1, 1, 1},
                blocks(GpuAssignment.of(placement(7, 0, true), 6, new long[] {1, 1}), 6));
    }

    @Test
    void missingMainDeviceIsAModelError() {
        ModelException e = assertThrows(ModelException.class,
                () -> GpuAssignment.of(placement(4, 2, false), 4, new long[] {1, 1}));
        assertTrue(e.getMessage().contains("main device 2") && e.getMessage().contains("2 GPUs"), e.getMessage());
        assertEquals("[-1, -1, -1]", GpuAssignment.cpuOnly(2).toString());
    }
}
