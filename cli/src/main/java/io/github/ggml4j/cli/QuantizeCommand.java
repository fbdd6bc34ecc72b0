package io.github.ggml4j.cli;

import io.github.ggml4j.QuantizeException;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.quantize.Perplexity;
import io.github.ggml4j.quantize.FileType;
import io.github.ggml4j.quantize.ProgressListener;
import io.github.ggml4j.quantize.QuantizeOptions;
import io.github.ggml4j.quantize.QuantizeResult;
import io.github.ggml4j.quantize.Quantizer;
import io.github.ggml4j.quantize.TensorPlan;
import io.github.ggml4j.quantize.Verifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code ggml4j quantize [options] IN [OUT] TYPE [THREADS]}: llama-quantize's command line and output bytes. The
 * per-tensor report and the summary go to stdout, the progress bar to stderr (only on a terminal).
 */
@Command(name = "quantize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Quantize a GGUF model, as llama-quantize does (same types, flags and output bytes).",
            "Arguments: IN [OUT] TYPE [THREADS]; without OUT the output is ggml-model-TYPE.gguf next to IN.",
            "Types: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q2_K_S Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K "
                + "IQ1_S IQ1_M IQ2_XXS IQ2_XS IQ2_S IQ2_M IQ3_XXS IQ3_XS IQ3_S IQ3_M IQ4_NL IQ4_XS TQ1_0 TQ2_0 "
                + "Q1_0 Q2_0 MXFP4_MOE F16 BF16 F32 COPY (aliases Q3_K Q4_K Q5_K; or the llama_ftype number)"})
final class QuantizeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(arity = "2..4", paramLabel = "ARGS", description = "IN [OUT] TYPE [THREADS]")
    List<String> args = new ArrayList<>();

    @Option(names = "--imatrix", paramLabel = "FILE", description = "importance matrix (llama-imatrix output)")
    Path imatrix;

    @Option(names = "--include-weights", paramLabel = "NAME", description = "use the importance matrix only for these tensors (repeatable)")
    List<String> include = new ArrayList<>();

    @Option(names = "--exclude-weights", paramLabel = "NAME", description = "do not use the importance matrix for these tensors (repeatable)")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--output-tensor-type", paramLabel = "TYPE", description = "ggml type of output.weight")
    String outputType;

    @Option(names = "--token-embedding-type", paramLabel = "TYPE", description = "ggml type of token_embd.weight")
    String embdType;

    @Option(names = "--tensor-type", paramLabel = "NAME=TYPE", description = "quantize tensors matching NAME to TYPE (repeatable)")
    List<String> tensorTypes = new ArrayList<>();

    @Option(names = "--tensor-type-file", paramLabel = "FILE", description = "NAME=TYPE rules separated by spaces or newlines")
    Path tensorTypeFile;

    @Option(names = "--leave-output-tensor", description = "leave output.weight un(re)quantized")
    boolean leaveOutput;

    @Option(names = "--pure", description = "no k-quant mixture: every tensor gets the same type")
    boolean pure;

    @Option(names = "--allow-requantize", description = "allow quantizing tensors that are already quantized")
    boolean allowRequantize;

    @Option(names = "--keep-split", description = "name the output as a one-shard split (OUT-00001-of-00001.gguf)")
    boolean keepSplit;

    @Option(names = "--dry-run", description = "show the types and sizes; write nothing")
    boolean dryRun;

    @Option(names = "--max-buffer-size", paramLabel = "MiB", description = "most MiB of rows held at a time (default 512)")
    Integer maxBufferMib;

    @Option(names = "--verify", description = "re-read the output and print each tensor's NMSE against the input")
    boolean verify;

    @Option(names = "--verify-text", paramLabel = "TEXT",
            description = "with --verify: also the perplexity of input and output on this text")
    Path verifyText;

    @Option(names = "--verify-ctx", defaultValue = "512", paramLabel = "N",
            description = "chunk size of that perplexity (default ${DEFAULT-VALUE})")
    int verifyCtx;

    @Option(names = "--verify-chunks", defaultValue = "-1", paramLabel = "N",
            description = "at most this many chunks of it (default: all)")
    int verifyChunks;

    @Option(names = {"-q", "--quiet"}, description = "no progress bar and no per-tensor report")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path in = Path.of(args.get(0));
        int next = 1;
        FileType type;
        Path output;
        FileType direct = tryParse(args.get(1));
        if (direct != null) {
            type = direct;
            Path dir = in.toAbsolutePath().getParent();
            output = dir.resolve("ggml-model-" + llamaName(args.get(1), type) + (keepSplit ? "" : ".gguf"));
            next = 2;
        } else {
            if (args.size() < 3) {
                throw new IllegalArgumentException("missing TYPE (arguments: IN [OUT] TYPE [THREADS])");
            }
            output = Path.of(args.get(1));
            type = FileType.parse(args.get(2));
            next = 3;
        }
        if (args.size() > next + 1) {
            throw new IllegalArgumentException("too many arguments: " + String.join(" ", args));
        }
        int threads = 0;
        if (args.size() == next + 1) {
            try {
                threads = Integer.parseInt(args.get(next));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid THREADS '" + args.get(next) + "'");
            }
        }
        QuantizeOptions.Builder b = QuantizeOptions.builder(type).threads(threads).imatrix(imatrix)
                .leaveOutputTensor(leaveOutput).pure(pure).allowRequantize(allowRequantize).keepSplit(keepSplit)
                .dryRun(dryRun);
        include.forEach(b::includeWeights);
        exclude.forEach(b::excludeWeights);
        if (outputType != null) {
            b.outputTensorType(FileType.parseTensorType(outputType));
        }
        if (embdType != null) {
            b.tokenEmbeddingType(FileType.parseTensorType(embdType));
        }
        List<String> rules = new ArrayList<>(tensorTypes);
        if (tensorTypeFile != null) {
            for (String r : Files.readString(tensorTypeFile).trim().split("\\s+")) {
                if (!r.isEmpty()) {
                    rules.add(r);
                }
            }
        }
        rules.forEach(r -> b.tensorType(QuantizeOptions.TensorTypeRule.parse(r)));
        if (maxBufferMib != null) {
            if (maxBufferMib <= 0) {
                throw new IllegalArgumentException("invalid --max-buffer-size " + maxBufferMib);
            }
            b.maxBufferBytes((long) maxBufferMib << 20);
        }
        QuantizeOptions options = b.build();
        ProgressBar bar = ProgressBar.wanted(quiet) ? new ProgressBar(err) : null;
        QuantizeResult r;
        try {
            r = Quantizer.quantize(in, output, options, bar == null ? ProgressListener.NONE : bar);
        } finally {
            if (bar != null) {
                bar.finish();
            }
        }
        report(out, r, in, options);
        if (verifyText != null && !verify) {
            throw new IllegalArgumentException("--verify-text needs --verify");
        }
        if (verify && !dryRun) {
            verify(out, in, r.output().orElseThrow(), options.effectiveThreads());
            if (verifyText != null) {
                perplexities(out, in, r.output().orElseThrow(), options.effectiveThreads());
            }
        }
        return ExitCodes.OK;
    }

    /** The name llama-quantize puts in a default output name: its first option of that type (aliases first). */
    private static String llamaName(String arg, FileType type) {
        String up = arg.trim().toUpperCase(Locale.ROOT);
        return switch (type) {
            case Q3_K_M -> up.equals("Q3_K_M") ? "Q3_K_M" : "Q3_K";
            case Q4_K_M -> up.equals("Q4_K_M") ? "Q4_K_M" : "Q4_K";
            case Q5_K_M -> up.equals("Q5_K_M") ? "Q5_K_M" : "Q5_K";
            default -> type.name();
        };
    }

    private static FileType tryParse(String s) {
        try {
            return FileType.parse(s);
        } catch (QuantizeException e) {
            return null;
        }
    }

    private void report(PrintWriter out, QuantizeResult r, Path in, QuantizeOptions o) {
        if (!quiet) {
            int i = 0;
            for (TensorPlan t : r.tensors()) {
                out.printf(Locale.ROOT, "[%4d/%4d] %-36s %-22s %7s -> %-7s %9.3f MiB -> %9.3f MiB%s%n", ++i,
                        r.tensors().size(), t.name(), shape(t.shape()), t.from().ggmlName(), t.to().ggmlName(),
                        t.inputBytes() / 1048576.0, t.outputBytes() / 1048576.0, t.fallback() ? " (fallback)" : "");
            }
        }
        out.printf(Locale.ROOT, "model size  = %10.2f MiB (%.2f BPW)%n", r.inputBytes() / 1048576.0,
                r.inputBitsPerWeight());
        out.printf(Locale.ROOT, "quant size  = %10.2f MiB (%.2f BPW)%n", r.outputBytes() / 1048576.0,
                r.outputBitsPerWeight());
        if (r.fallbacks() > 0) {
            out.printf(Locale.ROOT, "%d of %d tensor(s) required fallback quantization%n", r.fallbacks(),
                    r.tensors().size());
        }
        if (o.dryRun()) {
            if (r.requiresImatrix() && o.imatrix().isEmpty()) {
                out.println("WARNING: dry run completed, but this quantization will require an imatrix");
            }
            out.printf(Locale.ROOT, "dry run: %s as %s, nothing written (%.2f s)%n", in, o.fileType().name(),
                    r.elapsed().toNanos() / 1e9);
        } else {
            out.printf(Locale.ROOT, "wrote %s as %s in %.2f s (%d threads)%n", r.output().orElseThrow(),
                    o.fileType().name(), r.elapsed().toNanos() / 1e9, o.effectiveThreads());
        }
        out.flush();
    }

    private static void verify(PrintWriter out, Path in, Path written, int threads) {
        List<Verifier.TensorError> errors = Verifier.verify(in, written, threads);
        double worst = 0;
        String worstName = "";
        for (Verifier.TensorError e : errors) {
            out.printf(Locale.ROOT, "verify %-36s %7s -> %-7s NMSE %.6e%n", e.name(), e.from().ggmlName(),
                    e.to().ggmlName(), e.nmse());
            if (!(e.nmse() <= worst)) {
                worst = e.nmse();
                worstName = e.name();
            }
        }
        out.flush();
        if (!(worst <= Verifier.MAX_NMSE)) {
            throw new QuantizeException("verification failed: " + worstName + " has NMSE " + worst
                    + " (limit " + Verifier.MAX_NMSE + ")");
        }
        out.printf(Locale.ROOT, "verify: %d tensors, worst NMSE %.3e (%s)%n", errors.size(), worst,
                worstName.isEmpty() ? "-" : worstName);
        out.flush();
    }

    private void perplexities(PrintWriter out, Path in, Path written, int threads) throws IOException {
        String text = Files.readString(verifyText);
        if (text.endsWith("\n")) {
            text = text.substring(0, text.length() - 1);
        }
        Perplexity.Options po = new Perplexity.Options(verifyCtx, verifyChunks);
        double[] ppl = new double[2];
        Path[] files = {in, written};
        for (int i = 0; i < 2; i++) {
            try (Model m = Model.load(files[i], ModelOptions.defaults().withThreads(threads)
                    .withContextSize(Math.max(4096, verifyCtx)))) {
                ppl[i] = Perplexity.compute(m, text, po, Optional.empty(), c -> { }).perplexity();
            }
        }
        out.printf(Locale.ROOT, "verify: perplexity %.4f (input) -> %.4f (output), %+.3f %%%n", ppl[0], ppl[1],
                100 * (ppl[1] / ppl[0] - 1));
        out.flush();
    }

    private static String shape(long[] s) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < s.length; i++) {
            b.append(i == 0 ? "" : ", ").append(s[i]);
        }
        return b.append(']').toString();
    }
}
