package io.github.ggml4j.testing;

import java.util.Random;

/** Error measures between a reference and ggml's output, as test-backend-ops uses them; and test data. */
public final class Errors {

    private Errors() {
    }

    /**
     * Normalised mean squared error: sum((out - ref)^2) / sum(ref^2). NaN in the output counts as infinitely
     * wrong.
     */
    public static double nmse(double[] ref, float[] out) {
        if (ref.length != out.length) {
            throw new IllegalArgumentException("lengths differ: " + ref.length + " vs " + out.length);
        }
        double err = 0;
        double norm = 0;
        for (int i = 0; i < ref.length; i++) {
            if (Float.isNaN(out[i]) != Double.isNaN(ref[i])) {
                return Double.POSITIVE_INFINITY;
            }
            double diff = out[i] - ref[i];
            err += diff * diff;
            norm += ref[i] * ref[i];
        }
        return norm == 0 ? (err == 0 ? 0 : Double.POSITIVE_INFINITY) : err / norm;
    }

    public static double nmse(float[] ref, float[] out) {
        return nmse(toDouble(ref), out);
    }

    /** A one-line summary of where out and ref differ most, for failure messages. */
    public static String worst(double[] ref, float[] out) {
        int at = 0;
        double max = -1;
        for (int i = 0; i < ref.length; i++) {
            double diff = Math.abs(out[i] - ref[i]);
            if (!(diff <= max)) {
                max = diff;
                at = i;
            }
        }
        return "max |diff| " + max + " at " + at + " (expected " + ref[at] + ", got " + out[at] + ")";
    }

    public static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    /** n normally distributed floats with standard deviation {@code sigma}. */
    public static float[] gaussian(Random rnd, int n, double sigma) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * sigma);
        }
        return x;
    }

    /** Rounds every value to fp16 and back, for data that ggml will hold as F16. */
    public static float[] roundToHalf(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
        }
        return y;
    }
}
