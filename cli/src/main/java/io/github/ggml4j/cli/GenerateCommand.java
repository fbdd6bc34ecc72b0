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

    @Mixin
    SamplingArgs samplingArgs;

    @Mixin
    RunArgs runArgs;

    @Option(names = {"-p", "--prompt"}, description = "the prompt")
    String prompt;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE",
            description = "read the prompt from a file (UTF-8), '-' for standard input")
    String promptFile;

    @Option(names = {"-n", "--n-predict"}, defaultValue = "128", description = "tokens to generate (default ${DEFAULT-VALUE})")
    int nPredict;

    @Option(names = "--stop", description = "stop when this text is generated (repeatable)")
    List<String> stop = new ArrayList<>();


    @Override
    public Integer call() {
        modelArgs.model = DefaultModel.orDemo(modelArgs.model);
        String text = prompt();
        if (nPredict < 1) {
            throw new IllegalArgumentException("-n/--n-predict must be at least 1, got " + nPredict);
        }
        ModelOptions mo = runArgs.modelOptions(modelArgs); // checks -c and the other flags, naming them
        SamplingOptions sampling = samplingArgs.options();
        io.github.ggml4j.grammar.Grammar grammar = samplingArgs.grammar(); // checked before the model loads
        SessionOptions so = SessionOptions.defaults().withContextSize(runArgs.ctx);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Model m = Model.load(modelArgs.model, mo);
             Session s = m.newSession(so)) {
            if (!mo.rpcServers().isEmpty()) {
                // which devices hold the weights (RPCn[host:port] for remote ones)
                err.println("ggml4j: weights: " + String.join(", ", m.info().placement()));
                err.flush();
            }
            Generation g = s.generate(text, GenerateOptions.sampled(nPredict, sampling).withStop(stop)
                    .withGrammar(grammar), (id, piece) -> {
                out.print(piece);
                out.flush();
            });
            out.println();
            out.flush();
            err.println("ggml4j: prompt " + g.promptTokens() + " tokens (" + Figures.twoPlaces(g.promptTokensPerSecond())
                    + " t/s), generated " + g.tokens().length + " tokens ("
                    + Figures.twoPlaces(g.generationTokensPerSecond()) + " t/s), finish: "
                    + g.finishReason().name().toLowerCase(Locale.ROOT));
            err.flush();
        }
        return ExitCodes.OK;
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
