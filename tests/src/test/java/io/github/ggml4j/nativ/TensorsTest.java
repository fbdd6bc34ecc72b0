package io.github.ggml4j.nativ;

import io.github.ggml4j.internal.ggml.GgmlLib;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Tensor field reads go through the right struct offsets (the generated indexed array accessors do not). */
class TensorsTest {

    @Test
    void shapeAndStridesOfA3dTensor() {
        try (GgmlContext ctx = GgmlContext.forTensors(4)) {
            MemorySegment t = ctx.newTensor(GgmlLib.GGML_TYPE_F32(), 3, 5, 7);
            assertEquals(3, Tensors.ne(t, 0));
            assertEquals(5, Tensors.ne(t, 1));
            assertEquals(7, Tensors.ne(t, 2));
            assertEquals(1, Tensors.ne(t, 3));
            assertEquals(4, Tensors.nb(t, 0));
            assertEquals(12, Tensors.nb(t, 1));
            assertEquals(60, Tensors.nb(t, 2));
            assertEquals(GgmlLib.GGML_TYPE_F32(), Tensors.type(t));
            assertEquals("[3, 5, 7]", Tensors.shape(t));
        }
    }

    @Test
    void quantizedRowStride() {
        try (GgmlContext ctx = GgmlContext.forTensors(4)) {
            MemorySegment t = ctx.newTensor(GgmlLib.GGML_TYPE_Q4_0(), 64, 2);
            assertEquals(64, Tensors.ne(t, 0));
            assertEquals(2 * 18, Tensors.nb(t, 1)); // two Q4_0 blocks of 18 bytes per row
        }
    }
}
