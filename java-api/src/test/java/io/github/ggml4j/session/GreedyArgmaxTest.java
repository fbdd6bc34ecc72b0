package io.github.ggml4j.session;

import io.github.ggml4j.GenerationException;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The greedy pick's unrolled loop against the plain definition: every length, position of the maximum and tie. */
class GreedyArgmaxTest {

    /** The definition: the first index of the largest value. */
    private static int firstMax(float[] x, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void matchesTheDefinitionForEveryLengthAndPosition() {
        Random random = new Random(7);
        for (int n = 1; n <= 19; n++) {
            for (int at = 0; at < n; at++) {
                float[] x = new float[n + 3]; // the tail past n must be ignored
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) random.nextGaussian();
                }
                x[at] = 10f;
                x[n] = 100f;
                assertEquals(at, Generator.argmax(x, n), "n=" + n + " max at " + at);
                assertEquals(firstMax(x, n), Generator.argmax(x, n));
            }
        }
    }

    @Test
    void tiesGoToTheLowestIdInEveryLane() {
        for (int n = 2; n <= 12; n++) {
            for (int first = 0; first < n - 1; first++) {
                for (int second = first + 1; second < n; second++) {
                    float[] x = new float[n];
                    java.util.Arrays.fill(x, -3f);
                    x[first] = 2f;
                    x[second] = 2f;
                    assertEquals(first, Generator.argmax(x, n), "n=" + n + " tie " + first + "/" + second);
                }
            }
        }
    }

    @Test
    void largeVocabularyMatchesTheDefinition() {
        Random random = new Random(11);
        float[] x = new float[32003];
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian();
            }
            assertEquals(firstMax(x, x.length), Generator.argmax(x, x.length));
        }
    }

    @Test
    void anyNonFiniteLogitInAnyLaneIsAnError() {
        float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (float v : bad) {
            for (int n = 1; n <= 9; n++) {
                for (int at = 0; at < n; at++) {
                    float[] x = new float[n];
                    x[at] = v;
                    int len = n;
                    GenerationException e = assertThrows(GenerationException.class, () -> Generator.argmax(x, len),
                            v + " at " + at + " of " + n);
                    assertTrue(e.getMessage().contains("for token " + at), e.getMessage());
                }
            }
        }
    }
}
