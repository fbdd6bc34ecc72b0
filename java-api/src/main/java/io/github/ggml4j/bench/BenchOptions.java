package io.github.ggml4j.bench;

/**
 * A benchmark run in llama-bench's terms.
 *
 * @param promptTokens   tokens of the prompt-processing test (pp), 0 to skip it
 * @param genTokens      tokens of the generation test (tg), 0 to skip it
 * @param repetitions    timed repetitions of each test (after one warm-up)
 * @param threads        CPU threads
 * @param batchSize      micro-batch size for prompt processing
 * @param flashAttention use flash attention
 * @param depth          tokens already in the context before each test (llama-bench's {@code -d}), not timed
 */
public record BenchOptions(int promptTokens, int genTokens, int repetitions, int threads, int batchSize,
                           boolean flashAttention, int depth) {

    /** Without a depth. */
    public BenchOptions(int promptTokens, int genTokens, int repetitions, int threads, int batchSize,
                        boolean flashAttention) {
        this(promptTokens, genTokens, repetitions, threads, batchSize, flashAttention, 0);
    }

    public BenchOptions {
        if (promptTokens < 0 || genTokens < 0 || promptTokens + genTokens == 0) {
            throw new IllegalArgumentException("need a prompt or a generation test (got pp" + promptTokens + ", tg"
                    + genTokens + ")");
        }
        if (repetitions < 1) {
            throw new IllegalArgumentException("repetitions must be >= 1, got " + repetitions);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        if (depth < 0) {
            throw new IllegalArgumentException("depth must be >= 0, got " + depth);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
    }

    /** llama-bench's defaults: pp512, tg128, 5 repetitions, micro-batch 512, flash attention on. */
    public static BenchOptions defaults(int threads) {
        return new BenchOptions(512, 128, 5, threads, 512, true, 0);
    }

    public BenchOptions withDepth(int value) {
        return new BenchOptions(promptTokens, genTokens, repetitions, threads, batchSize, flashAttention, value);
    }
}
