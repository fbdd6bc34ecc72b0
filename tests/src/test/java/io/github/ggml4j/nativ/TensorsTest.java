package io.github.ggml4j.nativ;

import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.internal.ggml.ggml_tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Tensor fields are read and written at the offsets the loaded library reports, and those agree with the
 * layout jextract generated from the same headers (a stale binding or header shows up here first).
 */
class TensorsTest {

    @Test
    void nativeLayoutAgreesWithTheGeneratedStruct() {
        NativeLayout l = NativeLoader.layout();
        assertEquals(ggml_tensor.sizeof(), l.tensorSize());
        assertEquals(ggml_tensor.type$offset(), l.tensorType());
        assertEquals(ggml_tensor.buffer$offset(), l.tensorBuffer());
        assertEquals(ggml_tensor.ne$offset(), l.tensorNe());
        assertEquals(ggml_tensor.nb$offset(), l.tensorNb());
        assertEquals(ggml_tensor.data$offset(), l.tensorData());
        assertEquals(ggml_tensor.name$offset(), l.tensorName());
    }

    @Test
    void bufferIsNullUntilSetAndReadsBackWhatWasSet() {
        try (GgmlContext ctx = GgmlContext.forTensors(2); Arena arena = Arena.ofConfined()) {
            MemorySegment t = ctx.newTensor(GgmlLib.GGML_TYPE_F32(), 8);
            assertEquals(MemorySegment.NULL, Tensors.buffer(t));
            MemorySegment fake = arena.allocate(64);
            Tensors.setBuffer(t, fake);
            assertEquals(fake.address(), Tensors.buffer(t).address());
            assertEquals(fake.address(), ggml_tensor.buffer(Tensors.struct(t)).address(), "the generated accessor sees it");
            Tensors.setBuffer(t, MemorySegment.NULL);
            assertEquals(MemorySegment.NULL, Tensors.buffer(t));
        }
    }

    @Test
    void dimensionsOutsideZeroToThreeAreRefused() {
        try (GgmlContext ctx = GgmlContext.forTensors(2)) {
            MemorySegment t = ctx.newTensor(GgmlLib.GGML_TYPE_F32(), 8);
            assertThrows(IndexOutOfBoundsException.class, () -> Tensors.ne(t, 4));
            assertThrows(IndexOutOfBoundsException.class, () -> Tensors.nb(t, -1));
        }
    }

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
