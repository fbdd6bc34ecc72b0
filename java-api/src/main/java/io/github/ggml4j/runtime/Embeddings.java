package io.github.ggml4j.runtime;

import io.github.ggml4j.ContextOverflowException;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs an encoder over many inputs: each input is one short-lived sequence, and the engine packs as many whole
 * inputs into each step as the micro-batch holds, so a list of sentences is encoded in a few shared steps.
 */
public final class Embeddings {

    /** Inputs submitted to the engine at once; the planner's work per step grows with the pending requests. */
    private static final int GROUP = 256;

    private Embeddings() {
    }

    /**
     * The most tokens one input may have: one micro-batch, and no more positions than the model has.
     */
    public static int maxTokens(Engine engine, int maxPositions) {
        return Math.min(engine.options().ubatchSize(), maxPositions);
    }

    /**
     * The pooled output of each input (one row per input, in order).
     *
     * @throws ContextOverflowException if an input has more tokens than {@link #maxTokens} allows
     * @throws IllegalArgumentException if an input has no tokens
     */
    public static float[][] pooled(Engine engine, List<int[]> inputs, int maxPositions) {
        int limit = maxTokens(engine, maxPositions);
        for (int i = 0; i < inputs.size(); i++) {
            check(inputs.get(i), i, limit, engine.options().ubatchSize());
        }
        float[][] out = new float[inputs.size()][];
        for (int from = 0; from < inputs.size(); from += GROUP) {
            int to = Math.min(inputs.size(), from + GROUP);
            List<Sequence> seqs = new ArrayList<>();
            try {
                for (int i = from; i < to; i++) {
                    seqs.add(engine.newSequence(limit, false));
                }
                engine.decodeAll(seqs, inputs.subList(from, to));
                for (int i = from; i < to; i++) {
                    out[i] = seqs.get(i - from).lastOutput().clone();
                }
            } finally {
                seqs.forEach(engine::release);
            }
        }
        return out;
    }

    /** One row per token of one input (an encoder without pooling). */
    public static float[][] perToken(Engine engine, int[] tokens, int maxPositions) {
        int limit = maxTokens(engine, maxPositions);
        check(tokens, 0, limit, engine.options().ubatchSize());
        Sequence seq = engine.newSequence(limit, false);
        try {
            return engine.decode(seq, tokens, true);
        } finally {
            engine.release(seq);
        }
    }

    private static void check(int[] tokens, int index, int limit, int ubatch) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("input " + index + " has no tokens");
        }
        if (tokens.length > limit) {
            throw new ContextOverflowException("input " + index + " has " + tokens.length + " tokens; an encoder "
                    + "reads at most " + limit + " at once (" + (limit == ubatch
                    ? "the batch size; load the model with ModelOptions.withBatchSize(" + tokens.length + ")"
                    : "the positions the model was trained with") + ")", tokens.length, limit);
        }
    }

    /** Scales {@code v} to unit Euclidean length (llama.cpp's {@code --embd-normalize 2}); zero stays zero. */
    public static float[] l2Normalize(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        double norm = sum > 0 ? 1.0 / Math.sqrt(sum) : 0;
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] * norm);
        }
        return out;
    }
}
