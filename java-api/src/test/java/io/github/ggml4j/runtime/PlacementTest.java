package io.github.ggml4j.runtime;

import io.github.ggml4j.arch.WeightSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which layers go to a GPU (llama.cpp's n_gpu_layers rule); pure logic, no GPU needed. */
class PlacementTest {

    @Test
    void theHeadIsOffloadedFirstThenTheBlocksFromTheLast() {
        // llama.cpp (llama_model::load_tensors): i_gpu_start = n_layer + 1 - n_gpu_layers, the head being layer n_layer
        WeightLoader.Placement head = new WeightLoader.Placement(true, true, 1);
        assertTrue(head.offloads(WeightSource.OUTPUT, 4));
        assertFalse(head.offloads(3, 4));
        WeightLoader.Placement p = new WeightLoader.Placement(true, true, 3);
        assertFalse(p.offloads(WeightSource.INPUT, 4));
        assertFalse(p.offloads(0, 4));
        assertFalse(p.offloads(1, 4));
        assertTrue(p.offloads(2, 4));
        assertTrue(p.offloads(3, 4));
        assertTrue(p.offloads(WeightSource.OUTPUT, 4));

        WeightLoader.Placement all = new WeightLoader.Placement(true, true, 5);
        assertTrue(all.offloads(0, 4));
        assertTrue(all.offloads(WeightSource.OUTPUT, 4));
        assertFalse(all.offloads(WeightSource.INPUT, 4)); // embeddings stay on the CPU, as in llama.cpp
    }

    @Test
    void noOffloadAndNegativeCounts() {
        WeightLoader.Placement none = new WeightLoader.Placement(true, true, 0);
        assertFalse(none.offloads(3, 4));
        assertFalse(none.offloads(WeightSource.OUTPUT, 4));
        assertThrows(IllegalArgumentException.class, () -> new WeightLoader.Placement(true, true, -1));
    }
}
