package io.github.ggml4j.cli;

import io.github.ggml4j.Ggml4j;
import io.github.ggml4j.bench.BenchOptions;
import io.github.ggml4j.bench.BenchResult;
import io.github.ggml4j.bench.Benchmark;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code ggml4j bench}: prompt processing and generation speed, in llama-bench's layout. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure prompt-processing and generation speed (llama-bench layout); --compare also runs llama-bench.")
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelArgs modelArgs;

    @Option(names = {"-p", "--n-prompt"}, defaultValue = "512", description = "prompt tokens (default ${DEFAULT-VALUE})")
    int nPrompt;

    @Option(names = {"-n", "--n-gen"}, defaultValue = "128", description = "generated tokens (default ${DEFAULT-VALUE})")
    int nGen;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "5", description = "repetitions (default ${DEFAULT-VALUE})")
    int reps;

    @Option(names = {"-ub", "--ubatch-size"}, defaultValue = "512", description = "micro-batch size (default ${DEFAULT-VALUE})")
    int ubatch;

    @Option(names = {"-fa", "--flash-attn"}, defaultValue = "1", description = "flash attention 0|1 (default ${DEFAULT-VALUE})")
    int flashAttn;

    @Option(names = {"-d", "--n-depth"}, split = ",", defaultValue = "0",
            description = "tokens in the context before each test, comma-separated for a sweep (default ${DEFAULT-VALUE})")
    List<Integer> depths;

    @Option(names = {"-ngl", "--gpu-layers"}, paramLabel = "N",
            description = "layers to offload to GPUs or RPC devices, as llama.cpp counts them (default: 0, all with --rpc)")
    Integer gpuLayers;

    @Option(names = "--compare", description = "also run llama.cpp's llama-bench on the same file and print the ratios")
    boolean compare;

    @Option(names = "--sampling", description = "also measure the sampler chain on this model's logits, beside tg")
    boolean sampling;

    @Override
    public Integer call() {
        modelArgs.model = DefaultModel.required(modelArgs.model);
        int t = modelArgs.threads();
        int maxDepth = depths.stream().mapToInt(Integer::intValue).max().orElse(0);
        BenchOptions o = new BenchOptions(nPrompt, nGen, reps, t, ubatch, flashAttn != 0, maxDepth);
        PrintWriter out = spec.commandLine().getOut();
        List<BenchResult> ours = new java.util.ArrayList<>();
        ModelInfo info;
        if (compare && modelArgs.rpc != null) {
            throw new IllegalArgumentException("--compare cannot be used with --rpc: ggml's RPC server serves one client "
                    + "at a time and this process keeps its connection; run llama-bench --rpc in a process of its own");
        }
        int ngl = gpuLayers != null ? gpuLayers : modelArgs.rpc != null ? RunArgs.MAX_LAYERS : 0;
        if (ngl < 0) {
            throw new IllegalArgumentException("--gpu-layers must be >= 0, got " + ngl);
        }
        try (Model m = Model.load(modelArgs.model, Benchmark.modelOptions(modelArgs.modelOptions(), o).withGpuLayers(ngl))) {
            info = m.info();
            for (int d : depths) {
                ours.addAll(Benchmark.run(m, o.withDepth(d)));
            }
            if (sampling) {
                BenchResult tg = ours.stream().filter(r -> r.test().startsWith("tg")).findFirst().orElseThrow(() ->
                        new IllegalArgumentException("--sampling needs a generation test (-n > 0)"));
                samplingReport = new java.io.StringWriter();
                SamplerCost.report(m, tg.tokensPerSecond(), new PrintWriter(samplingReport));
            }
        }
        String label = String.format(Locale.ROOT, "%s %s %s", info.architecture(), params(info.parameterCount()),
                info.mainType());
        // which buffer types hold the weights (CPU_REPACK, AMX ... where the kernel probe passed them)
        spec.commandLine().getErr().println("ggml4j: weights: " + String.join(", ", info.placement()));
        spec.commandLine().getErr().flush();
        header(out);
        for (BenchResult r : ours) {
            row(out, "ggml4j", label, info, t, r);
        }
        if (compare) {
            String tools = Ggml4j.info().referenceTools();
            if (tools.isEmpty()) {
                throw new IllegalArgumentException("--compare needs llama.cpp's reference tools (build with -DGGML4J_REFERENCE=ON)");
            }
            List<BenchResult> ref = new java.util.ArrayList<>();
            for (int d : depths) {
                ref.addAll(LlamaBench.run(Path.of(tools), modelArgs.model, o.withDepth(d)));
            }
            for (BenchResult r : ref) {
                row(out, "llama.cpp", label, info, t, r);
            }
            out.println();
            out.println("| test            |  ggml4j t/s | llama.cpp t/s | ggml4j/llama.cpp |");
            out.println("| --------------- | ----------: | ------------: | ---------------: |");
            for (BenchResult r : ours) {
                ref.stream().filter(x -> x.test().equals(r.test())).findFirst().ifPresent(x ->
                        out.printf(Locale.ROOT, "| %15s | %11.2f | %13.2f | %16.3f |%n", r.test(), r.tokensPerSecond(),
                                x.tokensPerSecond(), r.tokensPerSecond() / x.tokensPerSecond()));
            }
        }
        if (samplingReport != null) {
            out.print(samplingReport);
        }
        out.flush();
        return ExitCodes.OK;
    }

    private java.io.StringWriter samplingReport;

    private static void header(PrintWriter out) {
        out.println("| runtime   | model                          |       size |     params | backend | threads |            test |                  t/s |");
        out.println("| --------- | ------------------------------ | ---------: | ---------: | ------- | ------: | --------------: | -------------------: |");
    }

    private static void row(PrintWriter out, String runtime, String label, ModelInfo info, int threads, BenchResult r) {
        out.printf(Locale.ROOT, "| %-9s | %-30s | %6.2f MiB | %8.2f B | %-7s | %7d | %15s | %12.2f ± %5.2f |%n",
                runtime, label, info.weightBytes() / 1048576.0, info.parameterCount() / 1e9, "CPU", threads, r.test(),
                r.tokensPerSecond(), r.stddev());
    }

    private static String params(long n) {
        if (n >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.0fB", n / 1e9);
        }
        return String.format(Locale.ROOT, "%.0fM", n / 1e6);
    }
}
