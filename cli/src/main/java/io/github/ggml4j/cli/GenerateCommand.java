package io.github.ggml4j.cli;

import io.github.ggml4j.Ggml4j;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.sampling.SamplingOptions;
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

    @Option(names = {"-p", "--prompt"}, description = "the prompt")
    String prompt;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE",
            description = "read the prompt from a file (UTF-8), '-' for standard input")
    String promptFile;

    @Option(names = {"-n", "--n-predict"}, defaultValue = "128", description = "tokens to generate (default ${DEFAULT-VALUE})")
    int nPredict;

    @Option(names = "--temp", defaultValue = "0", description = "temperature; 0 picks the most likely token (default ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-k", defaultValue = "40", description = "top-k, 0 for all tokens (default ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95", description = "top-p, 1.0 disables (default ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--min-p", defaultValue = "0.05", description = "min-p, 0.0 disables (default ${DEFAULT-VALUE})")
    float minP;

    @Option(names = "--typical", defaultValue = "1.0", description = "locally typical p, 1.0 disables (default ${DEFAULT-VALUE})")
    float typical;

    @Option(names = "--repeat-last-n", defaultValue = "64", description = "tokens the penalties look at, 0 disables (default ${DEFAULT-VALUE})")
    int repeatLastN;

    @Option(names = "--repeat-penalty", defaultValue = "1.0", description = "repetition penalty, 1.0 disables (default ${DEFAULT-VALUE})")
    float repeatPenalty;

    @Option(names = "--presence-penalty", defaultValue = "0.0", description = "presence penalty (default ${DEFAULT-VALUE})")
    float presencePenalty;

    @Option(names = "--frequency-penalty", defaultValue = "0.0", description = "frequency penalty (default ${DEFAULT-VALUE})")
    float frequencyPenalty;

    @Option(names = {"-s", "--seed"}, description = "sampling seed (default: random)")
    Long seed;

    @Option(names = "--logit-bias", split = ",", paramLabel = "TOKEN(+|-)BIAS",
            description = "e.g. 15043+1 or 15043-inf (repeatable, comma-separated)")
    List<String> logitBias = new ArrayList<>();

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
        String text = prompt();
        if (nPredict < 1) {
            throw new IllegalArgumentException("-n/--n-predict must be at least 1, got " + nPredict);
        }
        if (ctx < 0) {
            throw new IllegalArgumentException("-c/--ctx-size must be 0 (the model's) or positive, got " + ctx);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("-b/--batch-size must be at least 1, got " + batch);
        }
        if (gpuLayers < 0) {
            throw new IllegalArgumentException("--gpu-layers must be >= 0, got " + gpuLayers);
        }
        if (gpuLayers > 0 && Ggml4j.info().devices().stream().noneMatch(d -> !d.type().equals("CPU"))) {
            throw new IllegalArgumentException("--gpu-layers " + gpuLayers + ": this build has no GPU backend "
                    + "(build with GGML4J_CMAKE_ARGS=-DGGML4J_CUDA=ON) or no GPU is present");
        }
        SamplingOptions sampling = sampling();
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
            Generation g = s.generate(text, GenerateOptions.sampled(nPredict, sampling).withStop(stop), (id, piece) -> {
                out.print(piece);
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

    /** The sampling flags as options; an invalid one is an error naming the flag (case 38). */
    private SamplingOptions sampling() {
        long s = seed != null ? seed : (System.nanoTime() & 0xffffffffL);
        java.util.Map<Integer, Float> bias = new java.util.HashMap<>();
        for (String b : logitBias) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)([+-](?:inf|[0-9.]+))").matcher(b.strip());
            if (!m.matches()) {
                throw new IllegalArgumentException("--logit-bias '" + b + "': expected TOKEN+BIAS or TOKEN-BIAS, e.g. 15043-inf");
            }
            String v = m.group(2);
            bias.put(Integer.parseInt(m.group(1)), v.endsWith("inf")
                    ? (v.startsWith("-") ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY) : Float.parseFloat(v));
        }
        try {
            return new SamplingOptions(temperature, topK, topP, minP, typical, repeatLastN, repeatPenalty,
                    frequencyPenalty, presencePenalty, s, bias);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sampling flags: " + e.getMessage(), e);
        }
    }

    /** The prompt from -p, or from the file (or standard input) -f names; exactly one of them. */
    private String prompt() {
        if ((prompt == null) == (promptFile == null)) {
            throw new IllegalArgumentException("give the prompt with -p TEXT or -f FILE (one of them)");
        }
        if (prompt != null) {
            return prompt;
        }
        try {
            byte[] bytes = promptFile.equals("-") ? System.in.readAllBytes()
                    : java.nio.file.Files.readAllBytes(java.nio.file.Path.of(promptFile));
            return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new io.github.ggml4j.StorageException("cannot read the prompt from " + promptFile + ": " + e.getMessage(), e);
        }
    }
}
