package io.github.ggml4j.cli;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code ggml4j generate}: writes only the generated text to stdout, as it is produced; timings and logs go
 * to stderr.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate text after a prompt (greedy).")
final class GenerateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelArgs modelArgs;

    @Option(names = {"-p", "--prompt"}, required = true, description = "the prompt")
    String prompt;

    @Option(names = {"-n", "--n-predict"}, defaultValue = "128", description = "tokens to generate (default ${DEFAULT-VALUE})")
    int nPredict;

    @Option(names = "--temp", defaultValue = "0", description = "sampling temperature; only 0 (greedy) is available")
    double temperature;

    @Option(names = {"-c", "--ctx-size"}, defaultValue = "0", description = "context size (default: the model's, at most 4096)")
    int ctx;

    @Option(names = {"-b", "--batch-size"}, defaultValue = "512", description = "micro-batch size for the prompt (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = {"-fa", "--flash-attn"}, arity = "0..1", fallbackValue = "on", defaultValue = "auto",
            description = "flash attention: on, off or auto (default ${DEFAULT-VALUE}: on for the CPU backend)")
    String flashAttn;

    @Option(names = "--stop", description = "stop when this text is generated (repeatable)")
    List<String> stop = new ArrayList<>();

    @Option(names = "--gpu-layers", defaultValue = "0", description = "blocks to offload to a GPU when one is built in")
    int gpuLayers;

    @Override
    public Integer call() {
        if (temperature != 0) {
            throw new IllegalArgumentException("--temp " + temperature + ": only greedy decoding (--temp 0) is available");
        }
        boolean fa = switch (flashAttn.toLowerCase(Locale.ROOT)) {
            case "on", "1", "true" -> true;
            case "off", "0", "false" -> false;
            case "auto" -> true;
            default -> throw new IllegalArgumentException("--flash-attn must be on, off or auto, not '" + flashAttn + "'");
        };
        SessionOptions so = SessionOptions.defaults().withContextSize(ctx);
        ModelOptions mo = modelArgs.modelOptions().withGpuLayers(gpuLayers).withBatchSize(batch).withFlashAttention(fa)
                .withContextSize(ctx > 0 ? ctx : ModelOptions.defaults().contextSize()).withCachedPrompts(0);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Model m = Model.load(modelArgs.model, mo);
             Session s = m.newSession(so)) {
            Generation g = s.generate(prompt, GenerateOptions.greedy(nPredict).withStop(stop), (id, text) -> {
                out.print(text);
                out.flush();
            });
            out.println();
            out.flush();
            err.printf(Locale.ROOT, "ggml4j: prompt %d tokens (%.2f t/s), generated %d tokens (%.2f t/s), finish: %s%n",
                    g.promptTokens(), g.promptTokensPerSecond(), g.tokens().length, g.generationTokensPerSecond(),
                    g.finishReason().name().toLowerCase(Locale.ROOT));
            err.flush();
        }
        return ExitCodes.OK;
    }
}
