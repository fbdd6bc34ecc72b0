package io.github.ggml4j.train;

/**
 * How {@link Trainer} trains: AdamW with a linear warm-up then a cosine decay to {@code minLrRatio} of the peak
 * learning rate, on {@code batch} random windows of {@code seqLen} tokens per step.
 *
 * {@snippet :
 * TrainOptions o = TrainOptions.DEMO.withSteps(200).withThreads(2);
 * }
 *
 * @param steps        optimizer steps
 * @param batch        sequences per step
 * @param seqLen       tokens per sequence
 * @param learningRate peak learning rate
 * @param warmupSteps  steps of linear warm-up
 * @param minLrRatio   the final learning rate as a fraction of the peak, in [0, 1]
 * @param weightDecay  AdamW's decoupled weight decay, in [0, 1]
 * @param evalEvery    steps between held-out evaluations (and log lines); the last step is always evaluated
 * @param evalBatches  held-out batches per evaluation
 * @param threads      CPU threads
 * @param seed         seed of the window sampler
 */
public record TrainOptions(int steps, int batch, int seqLen, float learningRate, int warmupSteps, float minLrRatio,
                           float weightDecay, int evalEvery, int evalBatches, int threads, long seed) {

    /** The demo model's training run. */
    public static final TrainOptions DEMO = new TrainOptions(1500, 8, 128, 2e-3f, 100, 0.1f, 0.1f, 100, 8, 1, 42);

    public TrainOptions {
        if (steps <= 0 || batch <= 0 || seqLen < 2 || warmupSteps < 0 || evalEvery <= 0 || evalBatches <= 0
                || threads <= 0) {
            throw new IllegalArgumentException("steps, batch, evalEvery, evalBatches and threads must be positive,"
                    + " seqLen at least 2 and warmupSteps not negative");
        }
        if (!(learningRate > 0) || !(minLrRatio >= 0 && minLrRatio <= 1) || !(weightDecay >= 0 && weightDecay <= 1)) {
            throw new IllegalArgumentException("learningRate must be > 0, minLrRatio and weightDecay in [0, 1]");
        }
    }

    public TrainOptions withSteps(int v) {
        return new TrainOptions(v, batch, seqLen, learningRate, warmupSteps, minLrRatio, weightDecay, evalEvery,
                evalBatches, threads, seed);
    }

    public TrainOptions withThreads(int v) {
        return new TrainOptions(steps, batch, seqLen, learningRate, warmupSteps, minLrRatio, weightDecay, evalEvery,
                evalBatches, v, seed);
    }

    public TrainOptions withBatch(int b, int len) {
        return new TrainOptions(steps, b, len, learningRate, warmupSteps, minLrRatio, weightDecay, evalEvery,
                evalBatches, threads, seed);
    }

    public TrainOptions withSchedule(float lr, int warmup, int every) {
        return new TrainOptions(steps, batch, seqLen, lr, warmup, minLrRatio, weightDecay, every, evalBatches,
                threads, seed);
    }

    /** The learning rate of step {@code step} (1-based). */
    public float learningRateAt(int step) {
        if (step <= warmupSteps) {
            return learningRate * step / (warmupSteps + 1);
        }
        double progress = (double) (step - warmupSteps) / Math.max(1, steps - warmupSteps);
        double cosine = 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
        return (float) (learningRate * (minLrRatio + (1 - minLrRatio) * cosine));
    }
}
