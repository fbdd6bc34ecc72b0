package io.github.ggml4j.cli;

/**
 * Figures for one-line reports without {@link java.util.Formatter}: the first {@code String.format} with a
 * {@code %f} in a JVM loads the locale data (CLDR) and cost a short {@code generate} some 6 ms at its end.
 */
final class Figures {

    private Figures() {
    }

    /** {@code v} with two decimals, as {@code %.2f} under {@code Locale.ROOT} writes it (rounding half up). */
    static String twoPlaces(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v) || Math.abs(v) >= 1e15) {
            return String.format(java.util.Locale.ROOT, "%.2f", v);
        }
        long hundredths = Math.round(Math.abs(v) * 100);
        long frac = hundredths % 100;
        return (Math.copySign(1.0, v) < 0 ? "-" : "") + hundredths / 100 + (frac < 10 ? ".0" : ".") + frac;
    }
}
