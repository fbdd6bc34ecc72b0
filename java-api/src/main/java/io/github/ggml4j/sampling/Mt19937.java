package io.github.ggml4j.sampling;

/**
 * The 32-bit Mersenne Twister exactly as C++'s {@code std::mt19937}, and {@code std::generate_canonical<double, 53>}
 * over it as libstdc++ computes it (two draws per double), so a seeded chain draws the numbers llama.cpp draws.
 */
final class Mt19937 {

    private static final int N = 624;
    private static final int M = 397;
    private final int[] mt = new int[N];
    private int index;

    Mt19937(long seed) {
        mt[0] = (int) seed;
        for (int i = 1; i < N; i++) {
            mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
        }
        index = N;
    }

    /** The next 32-bit output, unsigned. */
    long next() {
        if (index >= N) {
            twist();
        }
        int y = mt[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y & 0xffffffffL;
    }

    private void twist() {
        for (int i = 0; i < N; i++) {
            int y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
            int v = mt[(i + M) % N] ^ (y >>> 1);
            if ((y & 1) != 0) {
                v ^= 0x9908b0df;
            }
            mt[i] = v;
        }
        index = 0;
    }

    /** A double in [0, 1): libstdc++'s generate_canonical with 53 bits from two 32-bit draws. */
    double nextDouble() {
        double r = 4294967296.0;
        double sum = 0;
        double tmp = 1;
        for (int k = 0; k < 2; k++) {
            sum += next() * tmp;
            tmp *= r;
        }
        double ret = sum / tmp;
        return ret >= 1 ? Math.nextDown(1.0) : ret;
    }
}
