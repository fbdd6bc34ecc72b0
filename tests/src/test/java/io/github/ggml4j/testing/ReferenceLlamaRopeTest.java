package io.github.ggml4j.testing;

import io.github.ggml4j.testing.ReferenceLlama.RopeMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static io.github.ggml4j.testing.ReferenceLlama.rope;
import static io.github.ggml4j.testing.ReferenceLlamaModels.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ReferenceLlama.rope against hand values and the properties of a rotation. */
class ReferenceLlamaRopeTest {

    private static final double TOL = 1e-13;

    /**
     * Head of 4, base 100, so pair 0 turns by p and pair 1 by p * 100^(-2/4) = p/10. At p = 3 on (1, 0, 0, 1):
     * NORMAL pairs (0,1), (2,3): (cos 3, sin 3, -sin 0.3, cos 0.3); NEOX pairs (0,2), (1,3): (cos 3, -sin 0.3,
     * sin 3, cos 0.3).
     */
    @Test
    void handValues() {
        double[] x = {1, 0, 0, 1};
        assertClose(new double[]{Math.cos(3), Math.sin(3), -Math.sin(0.3), Math.cos(0.3)},
                rope(x, 3, 4, RopeMode.NORMAL, 100, 1, null), TOL, "normal");
        assertClose(new double[]{Math.cos(3), -Math.sin(0.3), Math.sin(3), Math.cos(0.3)},
                rope(x, 3, 4, RopeMode.NEOX, 100, 1, null), TOL, "neox");
        // freq_scale 0.5 halves every angle; factors (1, 3) divide only pair 1's angle
        assertClose(new double[]{Math.cos(1.5), Math.sin(1.5), -Math.sin(0.15), Math.cos(0.15)},
                rope(x, 3, 4, RopeMode.NORMAL, 100, 0.5, null), TOL, "freq_scale");
        assertClose(new double[]{Math.cos(3), Math.sin(3), -Math.sin(0.1), Math.cos(0.1)},
                rope(x, 3, 4, RopeMode.NORMAL, 100, 1, new float[]{1, 3}), TOL, "freq factors");
        // x = (a, b) as a + ib is multiplied by e^(i theta): (2, 1) at theta = 1
        assertClose(new double[]{2 * Math.cos(1) - Math.sin(1), 2 * Math.sin(1) + Math.cos(1)},
                rope(new double[]{2, 1}, 1, 2, RopeMode.NORMAL, 10000, 1, null), TOL, "complex product");
    }

    /** Position 0 is the identity; dims from n_rot on pass through; each rotated pair keeps its norm. */
    @ParameterizedTest
    @EnumSource(RopeMode.class)
    void rotationProperties(RopeMode mode) {
        Random r = new Random(7);
        int headDim = 12;
        int nRot = 8;
        double[] x = gaussian(r, headDim);
        assertArrayEquals(x, rope(x, 0, nRot, mode, 10000, 1, null));
        for (int pos : new int[]{1, 2, 17, 500, 4096}) {
            double[] y = rope(x, pos, nRot, mode, 10000, 0.7, new float[]{1, 2, 3, 8});
            for (int i = nRot; i < headDim; i++) {
                assertEquals(x[i], y[i], "dim " + i + " >= n_rot changed at pos " + pos);
            }
            for (int i = 0; i < nRot / 2; i++) {
                int a = mode == RopeMode.NORMAL ? 2 * i : i;
                int b = mode == RopeMode.NORMAL ? 2 * i + 1 : i + nRot / 2;
                assertEquals(Math.hypot(x[a], x[b]), Math.hypot(y[a], y[b]), 1e-12, "pair " + i + " norm");
            }
            assertTrue(ReferenceLlamaModels.maxAbsDiff(x, y) > 1e-3, "position " + pos + " must rotate");
        }
    }

    /**
     * The pair conventions differ: the same input comes out differently. In NORMAL mode a pair's norm is kept in
     * (2i, 2i+1); in NEOX, in (i, i + n/2) — checked on a vector where only x[0] and x[1] are non-zero.
     */
    @Test
    void normalAndNeoxDiffer() {
        double[] x = {0.6, 0.8, 0, 0, 0, 0};
        double[] normal = rope(x, 5, 6, RopeMode.NORMAL, 10000, 1, null);
        double[] neox = rope(x, 5, 6, RopeMode.NEOX, 10000, 1, null);
        assertTrue(ReferenceLlamaModels.maxAbsDiff(normal, neox) > 0.1);
        assertEquals(1, Math.hypot(normal[0], normal[1]), 1e-14);
        for (int i = 2; i < 6; i++) {
            assertEquals(0, normal[i], 0.0, "normal: only pair (0,1) is non-zero");
        }
        // neox: x[0] pairs with x[3] (angle 5), x[1] with x[4] (angle 5 * 10000^(-1/3))
        double t1 = 5 * Math.pow(10000, -2.0 / 6);
        assertClose(new double[]{0.6 * Math.cos(5), 0.8 * Math.cos(t1), 0, 0.6 * Math.sin(5), 0.8 * Math.sin(t1), 0},
                neox, TOL, "neox");
    }

    /** q.k after RoPE depends only on the distance between the positions. */
    @ParameterizedTest
    @EnumSource(RopeMode.class)
    void dotProductDependsOnRelativePosition(RopeMode mode) {
        Random r = new Random(8);
        double[] q = gaussian(r, 16);
        double[] k = gaussian(r, 16);
        float[] ff = {1, 1.5f, 2, 4, 8, 1, 1, 3};
        double ref = dot(rope(q, 7, 16, mode, 10000, 0.5, ff), rope(k, 3, 16, mode, 10000, 0.5, ff));
        for (int shift : new int[]{1, 5, 100, 1000}) {
            double d = dot(rope(q, 7 + shift, 16, mode, 10000, 0.5, ff), rope(k, 3 + shift, 16, mode, 10000, 0.5, ff));
            assertEquals(ref, d, 1e-11, "shift " + shift);
        }
        double other = dot(rope(q, 8, 16, mode, 10000, 0.5, ff), rope(k, 3, 16, mode, 10000, 0.5, ff));
        assertTrue(Math.abs(other - ref) > 1e-6, "another distance gives another score");
    }

    /** theta is linear in p * freq_scale / factor: these are the same rotation. */
    @ParameterizedTest
    @EnumSource(RopeMode.class)
    void scaleAndFactorsAreEquivalent(RopeMode mode) {
        Random r = new Random(9);
        double[] x = gaussian(r, 8);
        double[] base = rope(x, 6, 8, mode, 500000, 1, null);
        assertClose(base, rope(x, 12, 8, mode, 500000, 0.5, null), 1e-12, "2p at scale 1/2");
        assertClose(base, rope(x, 12, 8, mode, 500000, 1, new float[]{2, 2, 2, 2}), 1e-12, "2p with factors 2");
        assertArrayEquals(base, rope(x, 6, 8, mode, 500000, 1, new float[]{1, 1, 1, 1}));
    }

    private static double[] gaussian(Random r, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextGaussian();
        }
        return x;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
