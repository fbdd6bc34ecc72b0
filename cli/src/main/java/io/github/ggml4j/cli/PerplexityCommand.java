package io.github.ggml4j.cli;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.quantize.KlDivergence;
import io.github.ggml4j.quantize.Perplexity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code ggml4j perplexity}: llama-perplexity's computation and output lines ({@code [i]ppl,} per chunk, then
 * {@code Final estimate: PPL = ...}); with {@code --kl-divergence-base FILE} it also saves the log-probabilities,
 * and with {@code --kl-divergence} it compares this model against them.
 */
@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = "Perplexity of a model on a text, as llama-perplexity computes it; KL divergence to a base model.")
final class PerplexityCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelArgs modelArgs;

    @Option(names = {"-f", "--file"}, paramLabel = "TEXT", description = "the text (not needed with --kl-divergence)")
    Path file;

    @Option(names = {"-c", "--ctx-size"}, defaultValue = "512", description = "tokens per chunk (default ${DEFAULT-VALUE})")
    int ctx;

    @Option(names = "--chunks", defaultValue = "-1", description = "at most this many chunks (default: all)")
    int chunks;

    @Option(names = "--kl-divergence-base", paramLabel = "FILE",
            description = "file of base log-probabilities: written by a plain run, read with --kl-divergence")
    Path klBase;

    @Option(names = "--kl-divergence", description = "compare against the log-probabilities in --kl-divergence-base")
    boolean kl;

    @Override
    public Integer call() throws IOException {
        modelArgs.model = DefaultModel.required(modelArgs.model);
        PrintWriter out = spec.commandLine().getOut();
        if (kl && klBase == null) {
            throw new IllegalArgumentException("--kl-divergence needs --kl-divergence-base FILE");
        }
        if (!kl && file == null) {
            throw new IllegalArgumentException("missing -f TEXT");
        }
        // the model's KV cache must hold one chunk
        int cells = Math.max(4096, kl ? KlDivergence.contextSize(klBase) : ctx);
        try (Model m = Model.load(modelArgs.model, modelArgs.modelOptions().withContextSize(cells))) {
            if (kl) {
                printKl(out, KlDivergence.compute(m, klBase, c -> { }));
                return ExitCodes.OK;
            }
            String text = Files.readString(file, StandardCharsets.UTF_8);
            if (text.endsWith("\n")) {
                text = text.substring(0, text.length() - 1); // as llama.cpp's -f reads a prompt file
            }
            Perplexity.Result r = Perplexity.compute(m, text, new Perplexity.Options(ctx, chunks),
                    Optional.ofNullable(klBase), c -> { });
            StringBuilder line = new StringBuilder();
            double[] e = r.chunkEstimates();
            for (int i = 0; i < e.length; i++) {
                line.append(String.format(Locale.ROOT, "[%d]%.4f,", i + 1, e[i]));
            }
            out.println(line);
            out.printf(Locale.ROOT, "Final estimate: PPL = %.4f +/- %.5f%n", r.perplexity(), r.uncertainty());
            out.flush();
        }
        return ExitCodes.OK;
    }

    static void printKl(PrintWriter out, KlDivergence.Result r) {
        out.println("====== Perplexity statistics ======");
        out.printf(Locale.ROOT, "Mean PPL(Q)                   : %10.6f ± %10.6f%n", r.pplQ(), r.pplQUnc());
        out.printf(Locale.ROOT, "Mean PPL(base)                : %10.6f ± %10.6f%n", r.pplBase(), r.pplBaseUnc());
        out.printf(Locale.ROOT, "Mean ln(PPL(Q)/PPL(base))     : %10.6f%n", r.lnPplRatio());
        out.printf(Locale.ROOT, "Mean PPL(Q)/PPL(base)         : %10.6f%n", Math.exp(r.lnPplRatio()));
        out.println();
        out.println("====== KL divergence statistics ======");
        out.printf(Locale.ROOT, "Mean    KLD: %10.6f ± %10.6f%n", r.meanKld(), r.meanKldUnc());
        out.printf(Locale.ROOT, "Maximum KLD: %10.6f%n", r.kldPercentile(1));
        out.printf(Locale.ROOT, "99.9%%   KLD: %10.6f%n", r.kldPercentile(0.999));
        out.printf(Locale.ROOT, "99.0%%   KLD: %10.6f%n", r.kldPercentile(0.99));
        out.printf(Locale.ROOT, "Median  KLD: %10.6f%n", r.kldMedian());
        out.printf(Locale.ROOT, "Minimum KLD: %10.6f%n", r.kldPercentile(0));
        out.println();
        out.println("====== Token probability statistics ======");
        out.printf(Locale.ROOT, "Mean    Δp: %6.3f %%%n", 100 * r.meanPDiff());
        out.printf(Locale.ROOT, "RMS Δp    : %6.3f %%%n", 100 * r.rmsPDiff());
        out.printf(Locale.ROOT, "Same top p: %6.3f %%%n", 100 * r.sameTop());
        out.flush();
    }
}
