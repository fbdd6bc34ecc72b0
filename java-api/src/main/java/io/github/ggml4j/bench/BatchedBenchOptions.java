package io.github.ggml4j.bench;

import java.util.List;

/**
 * A run in llama-batched-bench's terms: for every prompt length, generation length and parallel count, that
 * many sessions each evaluate a prompt of random tokens at once, then each generates one token per step.
 *
 * @param promptTokens   prompt lengths ({@code -npp})
 * @param genTokens      generation lengths ({@code -ntg})
 * @param parallel       concurrent sessions ({@code -npl})
 * @param threads        CPU threads
 * @param batchSize      micro-batch size
 * @param flashAttention use flash attention
 */
public record BatchedBenchOptions(List<Integer> promptTokens, List<Integer> genTokens, List<Integer> parallel,
                                  int threads, int batchSize, boolean flashAttention) {

    public BatchedBenchOptions {
        promptTokens = List.copyOf(promptTokens);
        genTokens = List.copyOf(genTokens);
        parallel = List.copyOf(parallel);
        if (promptTokens.isEmpty() || genTokens.isEmpty() || parallel.isEmpty()) {
            throw new IllegalArgumentException("need at least one prompt length, generation length and parallel count");
        }
        for (int v : promptTokens) {
            positive("prompt length", v);
        }
        for (int v : genTokens) {
            positive("generation length", v);
        }
        for (int v : parallel) {
            positive("parallel count", v);
        }
        positive("threads", threads);
        positive("batch size", batchSize);
    }

    private static void positive(String what, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(what + " must be >= 1, got " + v);
        }
    }

    /** KV cells the largest configuration needs: {@code pl * (pp + tg)}. */
    public int cellsNeeded() {
        int max = 0;
        for (int pp : promptTokens) {
            for (int tg : genTokens) {
                for (int pl : parallel) {
                    max = Math.max(max, pl * (pp + tg));
                }
            }
        }
        return max;
    }
}
