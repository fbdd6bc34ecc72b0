package io.github.ggml4j.quantize;

import io.github.ggml4j.QuantizeException;
import io.github.ggml4j.StorageException;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntConsumer;

/**
 * Perplexity of a model on a text, computed as llama.cpp's {@code llama-perplexity} computes it: the text is
 * tokenized (with BOS when the vocabulary adds one) and cut into chunks of {@code contextSize} tokens; each chunk
 * is evaluated from an empty context with its first token replaced by BOS, and only its second half is scored
 * (each position predicting the next token). The result is {@code exp} of the mean negative log-likelihood.
 * Optionally the scored positions' log-probabilities are saved in llama-perplexity's
 * {@code --kl-divergence-base} format for {@link KlDivergence}.
 *
 * {@snippet :
 * try (Model m = Model.load(Path.of("model-q4_k_m.gguf"))) {
 *     Perplexity.Result r = Perplexity.compute(m, Files.readString(Path.of("wiki.test.raw")),
 *             new Perplexity.Options(512, -1), Optional.empty(), chunk -> { });
 *     System.out.printf("PPL = %.4f +/- %.5f%n", r.perplexity(), r.uncertainty());
 * }
 * }
 */
public final class Perplexity {

    static final byte[] MAGIC = "_logits_".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /**
     * @param contextSize tokens per chunk ({@code -c}); positions from {@code contextSize / 2} on are scored
     * @param chunks      at most this many chunks, or -1 for all the text gives
     */
    public record Options(int contextSize, int chunks) {
        public Options {
            if (contextSize < 4 || contextSize > 1 << 20) {
                throw new QuantizeException("context size must be 4 to 2^20, got " + contextSize);
            }
            if (chunks < -1 || chunks == 0) {
                throw new QuantizeException("chunks must be -1 (all) or positive, got " + chunks);
            }
        }
    }

    /**
     * @param perplexity     exp of the mean negative log-likelihood of the scored tokens
     * @param uncertainty    its standard error, as llama-perplexity prints it ("+/-")
     * @param chunkEstimates the running estimate after each chunk (what llama-perplexity prints as [i]value)
     * @param scored         tokens scored
     */
    public record Result(double perplexity, double uncertainty, double[] chunkEstimates, long scored) {
        public Result {
            chunkEstimates = chunkEstimates.clone();
        }

        @Override
        public double[] chunkEstimates() {
            return chunkEstimates.clone();
        }
    }

    private Perplexity() {
    }

    /**
     * Computes the perplexity of {@code model} on {@code text}.
     *
     * @param saveBase where to write the scored positions' log-probabilities for a later {@link KlDivergence} run
     * @param onChunk  told the number of each finished chunk (1-based)
     * @throws QuantizeException if the text gives fewer than {@code 2 × contextSize} tokens
     */
    public static Result compute(Model model, String text, Options o, Optional<Path> saveBase, IntConsumer onChunk) {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(saveBase, "saveBase");
        int nCtx = o.contextSize();
        int[] tokens = model.tokenizer().encode(text, true, false);
        if (tokens.length < 2 * nCtx) {
            throw new QuantizeException("you need at least " + 2 * nCtx + " tokens to evaluate perplexity with a "
                    + "context of " + nCtx + "; the text tokenizes to only " + tokens.length + " tokens");
        }
        int maxChunks = tokens.length / nCtx;
        int nChunk = o.chunks() < 0 ? maxChunks : Math.min(o.chunks(), maxChunks);
        int nVocab = model.tokenizer().vocabSize();
        int first = nCtx / 2;
        int nv = 2 * ((nVocab + 1) / 2) + 4;
        double nll = 0;
        double nll2 = 0;
        long count = 0;
        double[] estimates = new double[nChunk];
        OutputStream base = null;
        try (Session s = model.newSession(SessionOptions.defaults().withContextSize(nCtx))) {
            if (saveBase.isPresent()) {
                base = new BufferedOutputStream(Files.newOutputStream(saveBase.get()), 1 << 20);
                ByteBuffer h = ByteBuffer.allocate(8 + 12 + 4 * nChunk * nCtx).order(ByteOrder.LITTLE_ENDIAN);
                h.put(MAGIC).putInt(nCtx).putInt(nVocab).putInt(nChunk);
                for (int i = 0; i < nChunk * nCtx; i++) {
                    h.putInt(tokens[i]);
                }
                base.write(h.array());
            }
            ByteBuffer row = ByteBuffer.allocate(2 * nv).order(ByteOrder.LITTLE_ENDIAN);
            for (int c = 0; c < nChunk; c++) {
                float[][] logits = evaluateChunk(model, s, tokens, c * nCtx, nCtx);
                for (int k = first; k < nCtx - 1; k++) {
                    int next = tokens[c * nCtx + k + 1];
                    double v;
                    if (base != null) {
                        v = quantizedLogProbs(logits[k], next, row.clear());
                        base.write(row.array());
                    } else {
                        v = -logSoftmax(logits[k], next);
                    }
                    nll += v;
                    nll2 += v * v;
                }
                count += nCtx - first - 1;
                estimates[c] = Math.exp(nll / count);
                onChunk.accept(c + 1);
            }
        } catch (IOException e) {
            throw new StorageException("cannot write " + saveBase.orElseThrow() + ": " + e.getMessage(), e);
        } finally {
            if (base != null) {
                try {
                    base.close();
                } catch (IOException e) {
                    throw new StorageException("cannot write " + saveBase.orElseThrow() + ": " + e.getMessage(), e);
                }
            }
        }
        double mean = nll / count;
        double var = nll2 / count - mean * mean;
        double unc = var > 0 ? Math.sqrt(var / (count - 1)) * Math.exp(mean) : 0;
        return new Result(Math.exp(mean), unc, estimates, count);
    }

    /** Evaluates one chunk from an empty context, its first token replaced by BOS when the vocabulary adds one. */
    static float[][] evaluateChunk(Model model, Session s, int[] tokens, int start, int nCtx) {
        int[] chunk = Arrays.copyOfRange(tokens, start, start + nCtx);
        if (model.tokenizer().addsBos()) {
            chunk[0] = model.beginOfSequenceToken();
        }
        s.clear();
        return s.evaluateAll(chunk);
    }

    /** llama-perplexity's log-softmax of {@code tok}: float max, double sum of float exponentials. */
    static double logSoftmax(float[] logits, int tok) {
        float max = logits[0];
        for (int i = 1; i < logits.length; i++) {
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (float l : logits) {
            sum += (float) Math.exp(l - max);
        }
        return (logits[tok] - max) - Math.log(sum);
    }

    /**
     * llama-perplexity's 16-bit log-probabilities of one row (scale, min, then one u16 per token) written into
     * {@code out}; returns the negative log-likelihood of {@code tok} as that function computes it.
     */
    static double quantizedLogProbs(float[] logits, int tok, ByteBuffer out) {
        float max = logits[0];
        float min = logits[0];
        for (int i = 1; i < logits.length; i++) {
            max = Math.max(max, logits[i]);
            min = Math.min(min, logits[i]);
        }
        min = Math.max(min, max - 16);
        double sum = 0;
        for (float l : logits) {
            sum += (float) Math.exp(l - max);
        }
        float logSumExp = (float) Math.log(sum);
        float minLogProb = min - max - logSumExp;
        float scale = (max - min) / 65535f;
        out.putFloat(scale).putFloat(minLogProb);
        if (scale != 0) {
            float inv = 1 / scale;
            for (float l : logits) {
                out.putShort((short) (l > min ? nearestInt(inv * (l - min)) : 0));
            }
        } else {
            for (int i = 0; i < logits.length; i++) {
                out.putShort((short) 0);
            }
        }
        while (out.hasRemaining()) {
            out.put((byte) 0);
        }
        return max + logSumExp - logits[tok];
    }

    static int nearestInt(float f) {
        float v = f + 12582912f;
        return (Float.floatToRawIntBits(v) & 0x007fffff) - 0x00400000;
    }
}
