package io.github.ggml4j.train;

/**
 * One point of a training run's loss curve (mean cross-entropy per token, in nats).
 *
 * {@snippet :
 * LossPoint last = report.last();
 * System.out.printf("step %d: train %.3f, held-out %.3f%n", last.step(), last.trainLoss(), last.evalLoss());
 * }
 *
 * @param step      optimizer steps done
 * @param trainLoss mean training loss of the steps since the previous point
 * @param evalLoss  held-out loss at this step
 * @param seconds   wall time since training started
 */
public record LossPoint(int step, double trainLoss, double evalLoss, double seconds) {
}
