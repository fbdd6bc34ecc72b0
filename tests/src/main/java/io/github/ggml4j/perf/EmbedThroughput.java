package io.github.ggml4j.perf;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.testing.LlamaTools;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Embedding throughput of ggml4j against llama.cpp's {@code llama-embedding} on the same encoder file, in the same
 * run: a batch of N sentences of about 30 tokens, embedded R times by each, the two interleaved so that a change in
 * the machine's load hits both; prints sentences/s per round and the medians. For llama-embedding the time is its
 * own "total time" after loading (tokenizing, encoding and printing the vectors; its "prompt eval time" reads 0
 * for a batch of many sequences); for ggml4j, the whole {@code Model.embed} call (tokenizing included). Not a
 * unit test: timings depend on the machine.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -Dggml4j.root=. -cp "tests/target/classes:tests/target/lib/*" \
 *     io.github.ggml4j.perf.EmbedThroughput MODEL.gguf [--sentences 64] [--rounds 5] [--threads 2]
 * </pre>
 */
public final class EmbedThroughput {

    private static final List<String> WORDS = List.of("the", "search", "engine", "returns", "documents", "about",
            "giant", "pandas", "which", "live", "in", "bamboo", "forests", "of", "central", "china", "and", "eat",
            "mostly", "leaves", "while", "researchers", "study", "their", "habits", "with", "cameras", "at", "night",
            "because", "they", "are", "shy", "animals", "that", "avoid", "people");

    private static final Pattern EVAL = Pattern.compile("total time = +([0-9.]+) ms");

    private EmbedThroughput() {
    }

    /** {@code n} sentences of 26 words (about 30 WordPiece tokens with [CLS] and [SEP]), the same every run. */
    static List<String> sentences(int n) {
        SplittableRandom rnd = new SplittableRandom(64);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < 26; w++) {
                sb.append(w == 0 ? "" : " ").append(WORDS.get(rnd.nextInt(WORDS.size())));
            }
            out.add(sb.append('.').toString());
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: EmbedThroughput MODEL.gguf [--sentences 64] [--rounds 5] [--threads 2]");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        int n = 64;
        int rounds = 5;
        int threads = 2;
        for (int i = 1; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--sentences" -> n = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        List<String> texts = sentences(n);
        double[] ours = new double[rounds];
        double[] theirs = new double[rounds];
        int tokens;
        try (Model m = Model.load(model, ModelOptions.defaults().withThreads(threads).withBatchSize(2048))) {
            tokens = texts.stream().mapToInt(t -> m.tokenizer().encode(t, true, true).length).sum();
            m.embed(texts); // warm-up: JIT, graph and buffers
            for (int r = 0; r < rounds; r++) {
                theirs[r] = n / llamaSeconds(model, texts, threads);
                long t0 = System.nanoTime();
                m.embed(texts);
                ours[r] = n / ((System.nanoTime() - t0) / 1e9);
                System.out.printf(Locale.ROOT, "round %d: ggml4j %.1f sentences/s, llama-embedding %.1f (%.3f)%n", r + 1,
                        ours[r], theirs[r], ours[r] / theirs[r]);
            }
        }
        double a = median(ours);
        double b = median(theirs);
        System.out.printf(Locale.ROOT, "%d sentences, %d tokens (%.1f per sentence), %d threads%n", n, tokens,
                (double) tokens / n, threads);
        System.out.printf(Locale.ROOT, "| file | ggml4j sent/s | llama-embedding sent/s | ratio |%n|---|---|---|---|%n"
                + "| %s | %.1f | %.1f | %.3f |%n", model.getFileName(), a, b, a / b);
    }

    private static double llamaSeconds(Path model, List<String> texts, int threads)
            throws IOException, InterruptedException {
        Process p = LlamaTools.process("llama-embedding", List.of("-m", model.toString(), "-p",
                String.join("\n", texts), "-t", Integer.toString(threads), "-c", "4096", "-b", "4096", "-ub", "4096",
                "--embd-output-format", "array", "-v")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("llama-embedding failed:\n" + out);
        }
        Matcher mt = EVAL.matcher(out);
        if (!mt.find()) {
            throw new IllegalStateException("llama-embedding printed no total time:\n" + out);
        }
        return Double.parseDouble(mt.group(1)) / 1000;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
