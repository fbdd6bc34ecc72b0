package io.github.ggml4j.bench;

/**
 * One test's figures.
 *
 * @param test           {@code pp512}, {@code tg128} ...
 * @param tokens         tokens processed per repetition
 * @param tokensPerSecond mean over repetitions of tokens / seconds
 * @param stddev         standard deviation of the per-repetition rates
 * @param repetitions    how many timed repetitions
 */
public record BenchResult(String test, int tokens, double tokensPerSecond, double stddev, int repetitions) {
}
