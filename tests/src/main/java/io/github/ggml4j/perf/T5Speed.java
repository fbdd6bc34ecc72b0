package io.github.ggml4j.perf;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.testing.LlamaTools;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * T5 generation speed of ggml4j against llama.cpp's {@code llama-completion} on the same file and prompt, interleaved
 * in the same run (llama-bench cannot run an encoder–decoder in this tree: it never calls {@code llama_encode}).
 * Both encode the prompt, then decode greedily from the decoder start token with the same threads and flash
 * attention; llama-completion's figure is its "eval time" tokens per second (the decoder's steps after the
 * first), ggml4j's {@link Generation#generationTokensPerSecond()}, after {@code --warmup} untimed generations
 * (until the JIT has compiled the step and sampling paths, a long-running JVM's steady state; llama-bench warms
 * up too). Not a unit test: timings depend on the machine.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -Dggml4j.root=. -cp "tests/target/classes:tests/target/lib/*" \
 *     io.github.ggml4j.perf.T5Speed MODEL.gguf [--rounds 3] [--threads 2] [--fa on|off] [--warmup 10]
 * </pre>
 */
public final class T5Speed {

    private static final Pattern EVAL = Pattern.compile("\\s eval time = .*?([0-9.]+) tokens per second");
    private static final String PROMPT = "translate English to German: the search engine returns documents about "
            + "giant pandas which live in bamboo forests.";

    private T5Speed() {
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int rounds = 3;
        int threads = 2;
        boolean flash = true;
        int warmup = 10;
        for (int i = 1; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
                case "--fa" -> flash = switch (args[i + 1]) {
                    case "on" -> true;
                    case "off" -> false;
                    default -> throw new IllegalArgumentException("--fa takes on or off, not " + args[i + 1]);
                };
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        double[] ours = new double[rounds];
        double[] theirs = new double[rounds];
        try (Model m = Model.load(model, ModelOptions.defaults().withThreads(threads).withFlashAttention(flash))) {
            int n = 64;
            for (int r = 0; r < warmup; r++) { // the JIT compiles the sampling and step paths first
                try (Session s = m.newSession()) {
                    s.generate(PROMPT, GenerateOptions.greedy(n));
                }
            }
            for (int r = 0; r < rounds; r++) {
                Generation g;
                try (Session s = m.newSession()) {
                    g = s.generate(PROMPT, GenerateOptions.greedy(n));
                }
                ours[r] = g.generationTokensPerSecond();
                Process p = LlamaTools.process("llama-completion", List.of("-m", model.toString(), "-p", PROMPT, "-n",
                        Integer.toString(n), "--temp", "0", "-t", Integer.toString(threads), "-fa", flash ? "on" : "off",
                        "-no-cnv", "--no-warmup", "--ignore-eos")).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                p.waitFor();
                Matcher mt = EVAL.matcher(out);
                if (!mt.find()) {
                    throw new IllegalStateException("llama-completion printed no timing:\n" + out);
                }
                theirs[r] = Double.parseDouble(mt.group(1));
                System.out.printf("round %d: ggml4j %.1f tokens/s (%d tokens), llama-completion %.1f tokens/s%n", r,
                        ours[r], g.tokens().length, theirs[r]);
            }
        }
        Arrays.sort(ours);
        Arrays.sort(theirs);
        double a = ours[rounds / 2];
        double b = theirs[rounds / 2];
        System.out.printf("median: ggml4j %.1f tokens/s, llama-completion %.1f tokens/s, ratio %.2f%n", a, b, a / b);
    }
}
