package io.github.ggml4j.ops;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.quantize.TensorQuantizer;
import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.testing.JavaDequantizer;
import io.github.ggml4j.testing.OpHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * ggml_get_rows (the token embedding lookup) from F32, F16 and Q8_0 tables. Rows are only decoded, never
 * combined, so the result must equal the Java decoding of the selected rows exactly, with 1 and 2 threads.
 */
class OpGetRowsTest {

    private static final int DIM = 64;
    private static final int ROWS = 10;
    private static final int[] IDS = {3, 0, 9, 3, 7};

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "Q8_0"})
    void selectsAndDecodesRows(GgmlType type) {
        float[] table = Errors.gaussian(new Random(800 + type.id()), DIM * ROWS, 1.0);
        byte[] stored = TensorQuantizer.quantize(type, table, ROWS, DIM);
        float[] decoded = JavaDequantizer.dequantize(type, stored, DIM * ROWS);
        float[] expected = new float[DIM * IDS.length];
        for (int i = 0; i < IDS.length; i++) {
            System.arraycopy(decoded, IDS[i] * DIM, expected, i * DIM, DIM);
        }
        try (OpHarness h = new OpHarness()) {
            MemorySegment t = h.raw(type, stored, DIM, ROWS);
            MemorySegment ids = h.i32(IDS, IDS.length);
            MemorySegment out = GgmlLib.ggml_get_rows(h.ctx(), t, ids);
            for (int threads = 1; threads <= 2; threads++) {
                assertArrayEquals(expected, h.compute(out, threads), 0f, "get_rows " + type + ", threads " + threads);
            }
        }
    }
}
