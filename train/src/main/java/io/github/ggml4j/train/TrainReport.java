package io.github.ggml4j.train;

import java.util.List;

/**
 * What a training run measured.
 *
 * {@snippet :
 * TrainReport r = trainer.train(trainTokens, heldOutTokens, System.err::println);
 * LossChart.write(r.curve(), "my model", Path.of("loss.png"));
 * }
 *
 * @param curve        the loss curve, one point per evaluation
 * @param steps        optimizer steps done
 * @param tokensPerStep tokens predicted per step
 * @param seconds      wall time of the training loop
 */
public record TrainReport(List<LossPoint> curve, int steps, long tokensPerStep, double seconds) {

    public TrainReport {
        curve = List.copyOf(curve);
    }

    /** The last point of the curve. */
    public LossPoint last() {
        return curve.getLast();
    }
}
