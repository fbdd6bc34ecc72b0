package io.github.ggml4j.ops;

import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.testing.OpHarness;
import io.github.ggml4j.testing.ReferenceOps;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static io.github.ggml4j.ops.OpAssert.NMSE_F32;
import static io.github.ggml4j.ops.OpAssert.assertThreads;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * ggml_rope_ext in normal and NeoX mode on x [headDim, nHead, nTok] with I32 positions, no YaRN (ext_factor
 * 0, attn_factor 1), against a double rotation. ggml builds the angles by repeated float multiplication, so
 * their error grows with position (about p * 1e-7 rad); positions stay below a few hundred, where that is far
 * below the F32 bound (NMSE 1e-7).
 */
class OpRopeTest {

    private static final int HEAD_DIM = 64;
    private static final int N_HEAD = 3;
    private static final int[] POS = {5, 0, 1, 2, 17, 63, 200};

    @ParameterizedTest(name = "neox={0} n_dims={1} base={2} scale={3}")
    @CsvSource({
            "false, 64, 10000, 1.0",
            "true,  64, 10000, 1.0",
            "true,  64, 500000, 0.25",
            "false, 32, 10000, 0.5",
            "true,  16, 1000000, 1.0",
    })
    void rope(boolean neox, int nDims, float base, float freqScale) {
        Random rnd = new Random(600 + nDims);
        int nTok = POS.length;
        float[] x = Errors.gaussian(rnd, HEAD_DIM * N_HEAD * nTok, 1.0);
        double[] ref = ReferenceOps.rope(x, HEAD_DIM, N_HEAD, nTok, POS, nDims, neox, base, freqScale);
        int mode = neox ? GgmlLib.GGML_ROPE_TYPE_NEOX() : 0; // 0 is GGML_ROPE_TYPE_NORMAL
        try (OpHarness h = new OpHarness()) {
            MemorySegment xt = h.f32(x, HEAD_DIM, N_HEAD, nTok);
            MemorySegment pt = h.i32(POS, nTok);
            MemorySegment out = GgmlLib.ggml_rope_ext(h.ctx(), xt, pt, MemorySegment.NULL, nDims, mode,
                    4096, base, freqScale, 0f, 1f, 32f, 1f);
            float[] y = assertThreads(h, out, ref, NMSE_F32, "rope neox=" + neox + " n_dims=" + nDims);
            // dimensions past n_dims pass through untouched; position 0 is the identity
            for (int i = nDims; i < HEAD_DIM; i++) {
                assertEquals(x[i], y[i], "dimension " + i + " past n_dims changed");
            }
            int p0 = HEAD_DIM * N_HEAD; // token 1 sits at position 0
            for (int i = 0; i < HEAD_DIM; i++) {
                assertEquals(x[p0 + i], y[p0 + i], "position 0 must not rotate (dim " + i + ")");
            }
        }
    }
}
