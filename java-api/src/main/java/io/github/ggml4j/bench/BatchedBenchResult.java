package io.github.ggml4j.bench;

/**
 * One row of llama-batched-bench's table.
 *
 * @param pp   prompt tokens per session
 * @param tg   generated tokens per session
 * @param pl   sessions at once
 * @param nKv  cells used: pl * (pp + tg)
 * @param tPp  seconds for all prompts
 * @param tTg  seconds for all generation steps
 */
public record BatchedBenchResult(int pp, int tg, int pl, int nKv, double tPp, double tTg) {

    /** Prompt tokens per second over all sessions. */
    public double sPp() {
        return pl * (double) pp / tPp;
    }

    /** Generated tokens per second over all sessions. */
    public double sTg() {
        return pl * (double) tg / tTg;
    }

    public double t() {
        return tPp + tTg;
    }

    /** All tokens per second. */
    public double s() {
        return nKv / t();
    }
}
