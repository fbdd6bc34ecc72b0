package io.github.ggml4j.train;

import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.quantize.FileType;
import io.github.ggml4j.quantize.QuantizeOptions;
import io.github.ggml4j.quantize.Quantizer;
import io.github.ggml4j.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The whole demo-model recipe: read the fortunes, train a BPE vocabulary on them, write the untrained model,
 * tokenize (the last {@code heldOutFraction} of the shuffled fortunes are held out), train, quantize, and
 * write the loss curve (PNG and CSV) beside the model.
 *
 * {@snippet :
 * DemoPipeline.Result r = DemoPipeline.run(new DemoPipeline.Config(Path.of("/usr/share/games/fortunes"),
 *         Path.of("target/demo"), LlamaShape.DEMO, TrainOptions.DEMO, 0.05), System.err::println);
 * }
 */
public final class DemoPipeline {

    /** The name of the quantized model the pipeline writes. */
    public static final String MODEL_FILE = "ggml4j-demo-q8_0.gguf";

    /**
     * What to train.
     *
     * @param fortunesDir     the fortune files ({@code /usr/share/games/fortunes} of Debian's fortunes packages)
     * @param outDir          where everything is written (created)
     * @param shape           the model
     * @param options         the training run
     * @param heldOutFraction the fraction of the fortunes held out, in (0, 0.5]
     */
    public record Config(Path fortunesDir, Path outDir, LlamaShape shape, TrainOptions options,
                         double heldOutFraction) {
        public Config {
            if (!(heldOutFraction > 0 && heldOutFraction <= 0.5)) {
                throw new IllegalArgumentException("heldOutFraction must be in (0, 0.5]: " + heldOutFraction);
            }
            if (options.seqLen() > shape.contextLength()) {
                throw new IllegalArgumentException("the sequence length exceeds the context length");
            }
        }
    }

    /**
     * What the pipeline produced and measured.
     *
     * @param model        the quantized model
     * @param fortunes     fortunes read
     * @param chars        characters of the corpus
     * @param trainTokens  tokens trained on
     * @param heldOutTokens tokens held out
     * @param report       the training run
     */
    public record Result(Path model, int fortunes, long chars, int trainTokens, int heldOutTokens,
                         TrainReport report) {
    }

    private DemoPipeline() {
    }

    /** Runs the recipe; {@code log} gets progress lines. */
    public static Result run(Config c, Consumer<String> log) {
        try {
            Path out = Files.createDirectories(c.outDir());
            List<String> fortunes = DemoCorpus.read(c.fortunesDir());
            int nHeld = Math.max(1, (int) Math.round(fortunes.size() * c.heldOutFraction()));
            List<String> shuffled = DemoCorpus.shuffle(fortunes);
            String train = DemoCorpus.join(shuffled.subList(0, shuffled.size() - nHeld));
            String heldOut = DemoCorpus.join(shuffled.subList(shuffled.size() - nHeld, shuffled.size()));
            long t0 = System.nanoTime();
            String plain = train.replace(DemoCorpus.BEGIN, "").replace(DemoCorpus.END, "\n");
            BpeTrainer.Vocab vocab = BpeTrainer.train(plain, c.shape().vocabSize() - 2);
            log.accept(String.format(Locale.ROOT, "%d fortunes (%d held out), %d chars; BPE: %d tokens in %.1f s",
                    fortunes.size(), nHeld, train.length() + heldOut.length(), vocab.tokens().size(),
                    (System.nanoTime() - t0) / 1e9));
            Path init = out.resolve("init-f32.gguf");
            DemoModelInit.write(c.shape(), vocab, 1234, init);
            int[] trainIds;
            int[] heldIds;
            try (GgufFile g = GgufFile.open(init)) {
                Tokenizer tok = Tokenizer.fromGguf(g);
                trainIds = tok.encode(train, false, true);
                heldIds = tok.encode(heldOut, false, true);
            }
            log.accept("tokens: " + trainIds.length + " train, " + heldIds.length + " held out; model "
                    + c.shape() + " (" + c.shape().parameterCount() + " parameters)");
            TrainReport report;
            Path trained = out.resolve("trained-f32.gguf");
            try (Trainer t = new Trainer(init, c.shape(), c.options())) {
                report = t.train(trainIds, heldIds, log);
                t.save(trained);
            }
            Path model = out.resolve(MODEL_FILE);
            Quantizer.quantize(trained, model, QuantizeOptions.builder(FileType.Q8_0)
                    .threads(c.options().threads()).build());
            LossChart.write(report.curve(), "ggml4j-demo " + c.shape() + ": cross-entropy",
                    out.resolve("loss.png"));
            writeCsv(report, out.resolve("loss.csv"));
            log.accept(String.format(Locale.ROOT, "trained %d steps in %.0f s; final train %.4f, held-out %.4f; %s",
                    report.steps(), report.seconds(), report.last().trainLoss(), report.last().evalLoss(), model));
            return new Result(model, fortunes.size(), train.length() + heldOut.length(), trainIds.length,
                    heldIds.length, report);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void writeCsv(TrainReport r, Path out) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("step,train_loss,held_out_loss,seconds");
        for (LossPoint p : r.curve()) {
            lines.add(String.format(Locale.ROOT, "%d,%s,%.5f,%.1f", p.step(),
                    Double.isNaN(p.trainLoss()) ? "" : String.format(Locale.ROOT, "%.5f", p.trainLoss()),
                    p.evalLoss(), p.seconds()));
        }
        Files.write(out, lines, StandardCharsets.UTF_8);
    }
}
