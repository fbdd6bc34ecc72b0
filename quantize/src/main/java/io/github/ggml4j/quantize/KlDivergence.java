package io.github.ggml4j.quantize;

import io.github.ggml4j.QuantizeException;
import io.github.ggml4j.StorageException;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * How far a model's next-token distributions are from a base model's, as {@code llama-perplexity --kl-divergence}
 * measures it: the base model's log-probabilities come from a file written by {@link Perplexity#compute} (or by
 * llama-perplexity's {@code --kl-divergence-base}), which also holds the tokens; this model is evaluated on the same
 * chunks and compared position by position.
 *
 * {@snippet :
 * Perplexity.compute(base, text, options, Optional.of(Path.of("base.kld")), c -> { });
 * KlDivergence.Result r = KlDivergence.compute(quantized, Path.of("base.kld"), c -> { });
 * System.out.printf("mean KLD %.6f, same top token %.1f %%%n", r.meanKld(), 100 * r.sameTop());
 * }
 *
 * @see Perplexity
 */
public final class KlDivergence {

    /**
     * The statistics llama-perplexity prints at the end of a KL-divergence run.
     *
     * @param pplQ         perplexity of this model
     * @param pplQUnc      its uncertainty
     * @param pplBase      perplexity of the base model (from its saved log-probabilities)
     * @param pplBaseUnc   its uncertainty
     * @param lnPplRatio   mean ln(PPL(Q)/PPL(base))
     * @param meanKld      mean KL divergence
     * @param meanKldUnc   its uncertainty
     * @param kldSorted    every position's KL divergence, ascending (for percentiles)
     * @param meanPDiff    mean of p(token) − p_base(token)
     * @param rmsPDiff     root mean square of that difference
     * @param pDiffSorted  every position's difference, ascending
     * @param sameTop      fraction of positions where both models' most likely token agree
     * @param count        positions compared
     */
    public record Result(double pplQ, double pplQUnc, double pplBase, double pplBaseUnc, double lnPplRatio,
                         double meanKld, double meanKldUnc, float[] kldSorted, double meanPDiff, double rmsPDiff,
                         float[] pDiffSorted, double sameTop, long count) {
        public Result {
            kldSorted = kldSorted.clone();
            pDiffSorted = pDiffSorted.clone();
        }

        /** A KL-divergence percentile, interpolated as llama-perplexity does ({@code fraction} 0 to 1). */
        public double kldPercentile(double fraction) {
            return percentile(kldSorted, (float) fraction);
        }

        /** A Δp percentile. */
        public double pDiffPercentile(double fraction) {
            return percentile(pDiffSorted, (float) fraction);
        }

        /** Median KL divergence. */
        public double kldMedian() {
            return median(kldSorted);
        }

        @Override
        public float[] kldSorted() {
            return kldSorted.clone();
        }

        @Override
        public float[] pDiffSorted() {
            return pDiffSorted.clone();
        }
    }

    private static final class Sums {
        double nll, nll2, nllBase, nllBase2, nllNllBase, kld, kld2, pDiff, pDiff2, pDiff4;
        long sameTop, count;
    }

    private KlDivergence() {
    }

    /**
     * Compares {@code model} with the base log-probabilities in {@code baseFile}.
     *
     * @throws QuantizeException if the file is not a log-probability file or does not match the model's vocabulary
     */
    public static Result compute(Model model, Path baseFile, IntConsumer onChunk) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(baseFile), 1 << 20);
             DataInputStream in = new DataInputStream(raw)) {
            byte[] magic = in.readNBytes(8);
            if (!Arrays.equals(magic, Perplexity.MAGIC)) {
                throw new QuantizeException(baseFile + " does not look like a file containing log-probabilities");
            }
            ByteBuffer h = ByteBuffer.wrap(in.readNBytes(12)).order(ByteOrder.LITTLE_ENDIAN);
            if (h.remaining() < 12) {
                throw new QuantizeException("failed reading n_vocab, n_chunk from " + baseFile);
            }
            int nCtx = h.getInt();
            int nVocab = h.getInt();
            int nChunk = h.getInt();
            int vocab = model.tokenizer().vocabSize();
            if (nCtx < 4 || nCtx > 1 << 20 || nChunk <= 0 || (long) nChunk * nCtx > 1 << 28) {
                throw new QuantizeException(baseFile + ": bad context " + nCtx + " or chunk count " + nChunk);
            }
            if (nVocab != vocab) {
                throw new QuantizeException("inconsistent vocabulary (" + nVocab + " vs " + vocab + ")");
            }
            byte[] tb = in.readNBytes(4 * nChunk * nCtx);
            if (tb.length != 4 * nChunk * nCtx) {
                throw new QuantizeException("failed reading evaluation tokens from " + baseFile);
            }
            int[] tokens = new int[nChunk * nCtx];
            ByteBuffer.wrap(tb).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(tokens);
            int first = nCtx / 2;
            int perChunk = nCtx - 1 - first;
            int nv = 2 * ((nVocab + 1) / 2) + 4;
            float[] kldValues = new float[perChunk * nChunk];
            float[] pDiffValues = new float[perChunk * nChunk];
            Sums s = new Sums();
            float[] maxPDiff = new float[1];
            byte[] rowBytes = new byte[2 * nv];
            try (Session session = model.newSession(SessionOptions.defaults().withContextSize(nCtx))) {
                for (int c = 0; c < nChunk; c++) {
                    float[][] logits = Perplexity.evaluateChunk(model, session, tokens, c * nCtx, nCtx);
                    for (int k = 0; k < perChunk; k++) {
                        in.readFully(rowBytes);
                        ByteBuffer row = ByteBuffer.wrap(rowBytes).order(ByteOrder.LITTLE_ENDIAN);
                        int at = c * perChunk + k;
                        position(logits[first + k], row, tokens[c * nCtx + first + k + 1], s, kldValues,
                                pDiffValues, at, maxPDiff);
                    }
                    onChunk.accept(c + 1);
                }
            }
            return result(s, kldValues, pDiffValues);
        } catch (EOFException e) {
            throw new QuantizeException(baseFile + " ends before its last chunk's log-probabilities", e);
        } catch (IOException e) {
            throw new StorageException("cannot read " + baseFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * The chunk size a base file was computed with (the model must be loaded with at least this many KV cells).
     *
     * @throws QuantizeException if it is not a log-probability file
     */
    public static int contextSize(Path baseFile) {
        try (InputStream in = Files.newInputStream(baseFile)) {
            byte[] h = in.readNBytes(12);
            if (h.length < 12 || !Arrays.equals(Arrays.copyOf(h, 8), Perplexity.MAGIC)) {
                throw new QuantizeException(baseFile + " does not look like a file containing log-probabilities");
            }
            return ByteBuffer.wrap(h, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        } catch (IOException e) {
            throw new StorageException("cannot read " + baseFile + ": " + e.getMessage(), e);
        }
    }

    /** llama-perplexity's per-position statistics (its float and double arithmetic kept). */
    private static void position(float[] logits, ByteBuffer base, int tok, Sums s, float[] kldValues,
                                 float[] pDiffValues, int at, float[] maxPDiff) {
        int n = logits.length;
        float max = logits[0];
        int imax = 0;
        for (int i = 1; i < n; i++) {
            if (logits[i] > max) {
                max = logits[i];
                imax = i;
            }
        }
        double sumExp = 0;
        for (float l : logits) {
            sumExp += (float) Math.exp(l - max);
        }
        float logSumExp = (float) Math.log(sumExp);
        float scale = base.getFloat(0);
        float minLogProb = base.getFloat(4);
        float nll = max + logSumExp - logits[tok];
        s.nll += nll;
        s.nll2 += nll * nll;
        float nllBase = -(scale * u16(base, tok) + minLogProb);
        s.nllBase += nllBase;
        s.nllBase2 += nllBase * nllBase;
        s.nllNllBase += nll * nllBase;
        max += logSumExp;
        double sum = 0;
        int imaxBase = -1;
        float pLogBaseMax = 0;
        for (int i = 0; i < n; i++) {
            float pLogBase = scale * u16(base, i) + minLogProb;
            if (i == 0 || pLogBase > pLogBaseMax) {
                pLogBaseMax = pLogBase;
                imaxBase = i;
            }
            if (pLogBase > -16f) {
                float pBase = (float) Math.exp(pLogBase);
                sum += pBase * (pLogBase - logits[i] + max);
            }
        }
        s.kld += sum;
        s.kld2 += sum * sum;
        s.count++;
        if (imax == imaxBase) {
            s.sameTop++;
        }
        float pBase = (float) Math.exp(-nllBase);
        float p = (float) Math.exp(-nll);
        float pDiff = p - pBase;
        s.pDiff += pDiff;
        double pDiff2 = pDiff * pDiff;
        s.pDiff2 += pDiff2;
        s.pDiff4 += pDiff2 * pDiff2;
        maxPDiff[0] = Math.max(maxPDiff[0], Math.abs(pDiff));
        kldValues[at] = (float) sum;
        pDiffValues[at] = pDiff;
    }

    private static int u16(ByteBuffer row, int i) {
        return row.getShort(8 + 2 * i) & 0xffff;
    }

    private static double[] meanAndUncertainty(double sum, double sum2, long count) {
        if (count < 1) {
            return new double[] {0, 0};
        }
        double f = sum / count;
        double df = sum2 / count - f * f;
        df = df > 0 && count > 10 ? Math.sqrt(df / (count - 1)) : 0;
        return new double[] {f, df};
    }

    private static Result result(Sums s, float[] kld, float[] pDiff) {
        Arrays.sort(kld);
        Arrays.sort(pDiff);
        double[] logPpl = meanAndUncertainty(s.nll, s.nll2, s.count);
        double[] logBase = meanAndUncertainty(s.nllBase, s.nllBase2, s.count);
        double[] k = meanAndUncertainty(s.kld, s.kld2, s.count);
        double[] pd = meanAndUncertainty(s.pDiff, s.pDiff2, s.count);
        double[] mse = meanAndUncertainty(s.pDiff2, s.pDiff4, s.count);
        double ppl = Math.exp(logPpl[0]);
        double pplBase = Math.exp(logBase[0]);
        return new Result(ppl, ppl * logPpl[1], pplBase, pplBase * logBase[1], logPpl[0] - logBase[0], k[0], k[1], kld,
                pd[0], Math.sqrt(mse[0]), pDiff, (double) s.sameTop / s.count, s.count);
    }

    static double percentile(float[] values, float fraction) {
        if (fraction <= 0) {
            return values[0];
        }
        if (fraction >= 1) {
            return values[values.length - 1];
        }
        float p = fraction * (values.length - 1);
        int ip = (int) p;
        p -= ip;
        return (1 - p) * values[ip] + p * values[Math.min(ip + 1, values.length - 1)];
    }

    static double median(float[] v) {
        int n = v.length;
        return n % 2 == 0 ? 0.5f * (v[n / 2] + v[n / 2 - 1]) : v[n / 2];
    }
}
