package io.github.ggml4j.cli;

import io.github.ggml4j.train.DemoPipeline;
import io.github.ggml4j.train.LlamaShape;
import io.github.ggml4j.train.TrainOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code ggml4j train}: trains the demo model from scratch (corpus from Debian's fortunes packages, own BPE
 * vocabulary, ggml-opt AdamW on the CPU) and writes it quantized (Q8_0) with its loss curve.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train the demo Llama model from scratch with ggml's optimizer (ggml-opt) on the CPU.",
            "Corpus: the fortunes of Debian's fortunes/fortunes-min packages (apt-get install fortunes).",
            "Writes OUT/" + DemoPipeline.MODEL_FILE + ", OUT/loss.png, OUT/loss.csv, and the F32 models."})
final class TrainCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--fortunes", paramLabel = "DIR", description = "fortune files (default: ${DEFAULT-VALUE})")
    Path fortunes = Path.of("/usr/share/games/fortunes");

    @Option(names = {"-o", "--out-dir"}, paramLabel = "DIR", description = "output directory (default: ${DEFAULT-VALUE})")
    Path out = Path.of("demo-train");

    @Option(names = "--shape", paramLabel = "E,L,H,FF,CTX,VOCAB", description = "model shape (default: ${DEFAULT-VALUE})")
    String shape = LlamaShape.DEMO.toString();

    @Option(names = "--steps", description = "optimizer steps (default: ${DEFAULT-VALUE})")
    int steps = TrainOptions.DEMO.steps();

    @Option(names = "--batch", description = "sequences per step (default: ${DEFAULT-VALUE})")
    int batch = TrainOptions.DEMO.batch();

    @Option(names = "--seq-len", description = "tokens per sequence (default: ${DEFAULT-VALUE})")
    int seqLen = TrainOptions.DEMO.seqLen();

    @Option(names = "--lr", description = "peak learning rate (default: ${DEFAULT-VALUE})")
    float lr = TrainOptions.DEMO.learningRate();

    @Option(names = "--warmup", description = "warm-up steps (default: ${DEFAULT-VALUE})")
    int warmup = TrainOptions.DEMO.warmupSteps();

    @Option(names = "--eval-every", description = "steps between held-out evaluations (default: ${DEFAULT-VALUE})")
    int evalEvery = TrainOptions.DEMO.evalEvery();

    @Option(names = {"-t", "--threads"}, description = "CPU threads (default: ${DEFAULT-VALUE})")
    int threads = TrainOptions.DEMO.threads();

    @Option(names = "--held-out", description = "fraction of the fortunes held out (default: ${DEFAULT-VALUE})")
    double heldOut = 0.05;

    @Override
    public Integer call() {
        TrainOptions o = TrainOptions.DEMO.withSteps(steps).withBatch(batch, seqLen)
                .withSchedule(lr, warmup, evalEvery).withThreads(threads);
        DemoPipeline.Config c = new DemoPipeline.Config(fortunes, out, LlamaShape.parse(shape), o, heldOut);
        try {
            DemoPipeline.run(c, line -> {
                spec.commandLine().getErr().println(line);
                spec.commandLine().getErr().flush();
            });
        } catch (UncheckedIOException e) {
            spec.commandLine().getErr().println("ggml4j: " + e.getCause().getMessage());
            return 3;
        }
        return ExitCodes.OK;
    }
}
