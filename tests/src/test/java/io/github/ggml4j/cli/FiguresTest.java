package io.github.ggml4j.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The report figures read as %.2f writes them, without going through java.util.Formatter. */
class FiguresTest {

    @ParameterizedTest
    @ValueSource(doubles = {0, 0.001, 0.004, 0.0051, 0.01, 0.099, 0.5, 1, 9.999, 10, 50.69, 541.2749, 541.2751,
            1234567.891, 99.994, 99.996, -0.0, -0.001, -0.004, -3.14159, -12345.678, 1e14, Double.NaN,
            Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e300})
    void matchesFormat(double v) {
        assertEquals(String.format(Locale.ROOT, "%.2f", v), Figures.twoPlaces(v));
    }
}
