package io.github.ggml4j.grammar;

import java.math.BigInteger;

/**
 * The decimal digits of a double as llama.cpp's JSON library writes them: Florian Loitsch's Grisu2 ("Printing
 * Floating-Point Numbers Quickly and Accurately with Integers", PLDI 2010) with 64-bit significands, cached powers
 * of ten every 8 decimal exponents, and the final digit nudged towards the exact value. The digits always read
 * back as the same double, but are not always the shortest or closest ones ({@link Double#toString} can differ in
 * the last digit, or in the number of digits), so a byte-identical grammar needs this exact algorithm. Internal
 * to the grammar package.
 */
final class Grisu2 {

    /** Digits and exponent: the value is {@code digits * 10^exponent}. */
    record Decimal(String digits, int exponent) {
    }

    private static final int ALPHA = -60;
    private static final int MIN_DEC_EXP = -300;
    private static final int DEC_STEP = 8;
    private static final int CACHED = 79;
    private static final long[] CACHED_F = new long[CACHED];
    private static final int[] CACHED_E = new int[CACHED];
    private static final int[] CACHED_K = new int[CACHED];

    static {
        // 10^k for k = -300, -292, ..., 324 as normalized 64-bit significands, rounded to nearest
        for (int i = 0; i < CACHED; i++) {
            int k = MIN_DEC_EXP + DEC_STEP * i;
            BigInteger num = k >= 0 ? BigInteger.TEN.pow(k) : BigInteger.ONE;
            BigInteger den = k >= 0 ? BigInteger.ONE : BigInteger.TEN.pow(-k);
            int e = num.bitLength() - den.bitLength() - 64;
            BigInteger q;
            while (true) {
                BigInteger n = e >= 0 ? num : num.shiftLeft(-e);
                BigInteger d = e >= 0 ? den.shiftLeft(e) : den;
                // round(n / d) = floor((2n + d) / 2d)
                q = n.shiftLeft(1).add(d).divide(d.shiftLeft(1));
                if (q.bitLength() > 64) {
                    e++;
                } else if (q.bitLength() < 64) {
                    e--;
                } else {
                    break;
                }
            }
            CACHED_F[i] = q.longValue();
            CACHED_E[i] = e;
            CACHED_K[i] = k;
        }
    }

    private Grisu2() {
    }

    /** A floating-point number f * 2^e with a 64-bit unsigned significand. */
    private record Fp(long f, int e) {
        Fp mul(Fp y) {
            long uLo = f & 0xFFFFFFFFL;
            long uHi = f >>> 32;
            long vLo = y.f & 0xFFFFFFFFL;
            long vHi = y.f >>> 32;
            long p0 = uLo * vLo;
            long p1 = uLo * vHi;
            long p2 = uHi * vLo;
            long p3 = uHi * vHi;
            long q = (p0 >>> 32) + (p1 & 0xFFFFFFFFL) + (p2 & 0xFFFFFFFFL) + (1L << 31); // round, ties up
            long h = p3 + (p2 >>> 32) + (p1 >>> 32) + (q >>> 32);
            return new Fp(h, e + y.e + 64);
        }

        Fp normalize() {
            long g = f;
            int x = e;
            while ((g >>> 63) == 0) {
                g <<= 1;
                x--;
            }
            return new Fp(g, x);
        }
    }

    /** The digits of a finite, positive {@code value}. */
    static Decimal digits(double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException("finite and positive: " + value);
        }
        long bits = Double.doubleToRawLongBits(value);
        long biasedE = bits >>> 52;
        long frac = bits & ((1L << 52) - 1);
        Fp v = biasedE == 0 ? new Fp(frac, -1074) : new Fp(frac + (1L << 52), (int) biasedE - 1075);
        boolean lowerCloser = frac == 0 && biasedE > 1;
        Fp plus = new Fp(2 * v.f() + 1, v.e() - 1).normalize();
        Fp minusRaw = lowerCloser ? new Fp(4 * v.f() - 1, v.e() - 2) : new Fp(2 * v.f() - 1, v.e() - 1);
        Fp minus = new Fp(minusRaw.f() << (minusRaw.e() - plus.e()), plus.e());
        Fp w = v.normalize();

        int f = ALPHA - plus.e() - 1;
        int k = f * 78913 / (1 << 18) + (f > 0 ? 1 : 0); // truncating division, as in C
        int index = (-MIN_DEC_EXP + k + (DEC_STEP - 1)) / DEC_STEP;
        Fp c = new Fp(CACHED_F[index], CACHED_E[index]);

        Fp cw = w.mul(c);
        Fp cMinus = minus.mul(c);
        Fp cPlus = plus.mul(c);
        return generate(new Fp(cMinus.f() + 1, cMinus.e()), cw, new Fp(cPlus.f() - 1, cPlus.e()), -CACHED_K[index]);
    }

    private static Decimal generate(Fp mMinus, Fp w, Fp mPlus, int decimalExponent) {
        long delta = mPlus.f() - mMinus.f();
        long dist = mPlus.f() - w.f();
        int shift = -mPlus.e();
        long one = 1L << shift;
        long p1 = mPlus.f() >>> shift; // fits 32 bits
        long p2 = mPlus.f() & (one - 1);
        var buf = new StringBuilder(20);

        long pow10 = 1;
        int n = 1;
        while (n < 10 && pow10 * 10 <= p1) {
            pow10 *= 10;
            n++;
        }
        while (n > 0) {
            long d = p1 / pow10;
            p1 %= pow10;
            buf.append((char) ('0' + d));
            n--;
            long rest = (p1 << shift) + p2;
            if (Long.compareUnsigned(rest, delta) <= 0) {
                round(buf, dist, delta, rest, pow10 << shift);
                return new Decimal(buf.toString(), decimalExponent + n);
            }
            pow10 /= 10;
        }
        int m = 0;
        while (true) {
            p2 *= 10;
            long d = p2 >>> shift;
            p2 &= one - 1;
            buf.append((char) ('0' + d));
            m++;
            delta *= 10;
            dist *= 10;
            if (Long.compareUnsigned(p2, delta) <= 0) {
                break;
            }
        }
        round(buf, dist, delta, p2, one);
        return new Decimal(buf.toString(), decimalExponent - m);
    }

    /** Moves the last digit down while that brings the digits closer to the exact value within the bounds. */
    private static void round(StringBuilder buf, long dist, long delta, long rest, long tenK) {
        while (Long.compareUnsigned(rest, dist) < 0
                && Long.compareUnsigned(delta - rest, tenK) >= 0
                && (Long.compareUnsigned(rest + tenK, dist) < 0
                    || Long.compareUnsigned(dist - rest, rest + tenK - dist) > 0)) {
            int last = buf.length() - 1;
            buf.setCharAt(last, (char) (buf.charAt(last) - 1));
            rest += tenK;
        }
    }
}
