package io.github.ggml4j.cli;

import io.github.ggml4j.Ggml4j;
import io.github.ggml4j.bench.BatchedBenchOptions;
import io.github.ggml4j.bench.BatchedBenchResult;
import io.github.ggml4j.bench.BatchedBenchmark;
import io.github.ggml4j.model.Model;
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

/**
 * {@code ggml4j batched-bench}: aggregate throughput of concurrent sessions, in llama-batched-bench's flags and
 * table; {@code --compare} also runs llama-batched-bench on the same file and prints the ratio per row.
 */
@Command(name = "batched-bench", mixinStandardHelpOptions = true,
        description = "Throughput of many concurrent sessions (llama-batched-bench layout); --compare also runs llama-batched-bench.")
final class BatchedBenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelArgs modelArgs;

    @Option(names = "-npp", split = ",", defaultValue = "128", description = "prompt tokens per session (default ${DEFAULT-VALUE})")
    List<Integer> npp;

    @Option(names = "-ntg", split = ",", defaultValue = "128", description = "generated tokens per session (default ${DEFAULT-VALUE})")
    List<Integer> ntg;

    @Option(names = "-npl", split = ",", defaultValue = "1,2,4,8", description = "sessions at once (default ${DEFAULT-VALUE})")
    List<Integer> npl;

    @Option(names = {"-ub", "--ubatch-size"}, defaultValue = "512", description = "micro-batch size (default ${DEFAULT-VALUE})")
    int ubatch;

    @Option(names = {"-fa", "--flash-attn"}, defaultValue = "on", description = "flash attention on|off (default ${DEFAULT-VALUE})")
    String flashAttn;

    @Option(names = "--compare", description = "also run llama.cpp's llama-batched-bench on the same file and print the ratios")
    boolean compare;

    @Override
    public Integer call() {
        modelArgs.model = DefaultModel.required(modelArgs.model);
        boolean fa = switch (flashAttn.toLowerCase(Locale.ROOT)) {
            case "on", "1", "true" -> true;
            case "off", "0", "false" -> false;
            default -> throw new IllegalArgumentException("--flash-attn must be on or off, not '" + flashAttn + "'");
        };
        BatchedBenchOptions o = new BatchedBenchOptions(npp, ntg, npl, modelArgs.threads(), ubatch, fa);
        PrintWriter out = spec.commandLine().getOut();
        List<BatchedBenchResult> ours;
        try (Model m = Model.load(modelArgs.model, BatchedBenchmark.modelOptions(modelArgs.modelOptions(), o))) {
            ours = BatchedBenchmark.run(m, o);
        }
        out.printf(Locale.ROOT, "ggml4j: n_kv_max = %d, n_ubatch = %d, flash_attn = %d, n_threads = %d%n%n",
                Math.max(256, o.cellsNeeded()), ubatch, fa ? 1 : 0, o.threads());
        table(out, ours);
        if (compare) {
            String tools = Ggml4j.info().referenceTools();
            if (tools.isEmpty()) {
                throw new IllegalArgumentException("--compare needs llama.cpp's reference tools (build with -DGGML4J_REFERENCE=ON)");
            }
            List<BatchedBenchResult> ref = LlamaBatchedBench.run(Path.of(tools), modelArgs.model, o);
            out.println();
            out.println("llama.cpp (llama-batched-bench):");
            out.println();
            table(out, ref);
            out.println();
            out.println("|    PP |     TG |    B | S_PP ggml4j/llama.cpp | S_TG ggml4j/llama.cpp | S ggml4j/llama.cpp |");
            out.println("|-------|--------|------|-----------------------|-----------------------|--------------------|");
            for (BatchedBenchResult r : ours) {
                ref.stream().filter(x -> x.pp() == r.pp() && x.tg() == r.tg() && x.pl() == r.pl()).findFirst()
                        .ifPresent(x -> out.printf(Locale.ROOT, "| %5d | %6d | %4d | %21.3f | %21.3f | %18.3f |%n",
                                r.pp(), r.tg(), r.pl(), r.sPp() / x.sPp(), r.sTg() / x.sTg(), r.s() / x.s()));
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    static void table(PrintWriter out, List<BatchedBenchResult> rows) {
        out.printf(Locale.ROOT, "|%6s | %6s | %4s | %6s | %8s | %8s | %8s | %8s | %8s | %8s |%n",
                "PP", "TG", "B", "N_KV", "T_PP s", "S_PP t/s", "T_TG s", "S_TG t/s", "T s", "S t/s");
        out.printf(Locale.ROOT, "|%6s-|-%6s-|-%4s-|-%6s-|-%8s-|-%8s-|-%8s-|-%8s-|-%8s-|-%8s-|%n",
                "------", "------", "----", "------", "--------", "--------", "--------", "--------", "--------", "--------");
        for (BatchedBenchResult r : rows) {
            out.printf(Locale.ROOT, "|%6d | %6d | %4d | %6d | %8.3f | %8.2f | %8.3f | %8.2f | %8.3f | %8.2f |%n",
                    r.pp(), r.tg(), r.pl(), r.nKv(), r.tPp(), r.sPp(), r.tTg(), r.sTg(), r.t(), r.s());
        }
    }
}
