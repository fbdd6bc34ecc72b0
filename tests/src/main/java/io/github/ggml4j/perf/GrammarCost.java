package io.github.ggml4j.perf;

import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.grammar.Grammar;
import io.github.ggml4j.grammar.GrammarSampler;
import io.github.ggml4j.nativ.NativeLoader;
import io.github.ggml4j.testing.SyntheticLlama;
import io.github.ggml4j.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a grammar costs per token, ggml4j beside llama.cpp's grammar sampler in the same run: along a JSON
 * document tokenized by a real vocabulary (llama-spm, 32k; llama-bpe, Llama 3's 128k), before each token, the
 * filter of the whole vocabulary and the check of the one token drawn. Grammars: the pinned tree's
 * grammars/json.gbnf and a 20-property object ({@link #OBJECT20}, as a JSON Schema converter writes one).
 *
 * {@snippet :
 * // java -cp tests/target/classes:tests/target/lib/* io.github.ggml4j.perf.GrammarCost 20
 * }
 */
public final class GrammarCost {

    /** A JSON object with 20 typed properties, all required, in order (the shape of a converted schema). */
    public static final String OBJECT20 = object20();

    static final String JSON_DOC = "{\"name\": \"Alice Liddell\", \"age\": 30, \"email\": \"alice@example.com\", "
            + "\"tags\": [\"admin\", \"dev\", \"ops\"], \"address\": {\"city\": \"Paris\", \"zip\": \"75001\"}, "
            + "\"score\": -12.5e3, \"active\": true, \"spouse\": null, \"notes\": \"line one\\nline \\\"two\\\"\"}";

    private GrammarCost() {
    }

    private static String object20() {
        String[] kinds = {"string", "integer", "number", "boolean", "strings"};
        StringBuilder b = new StringBuilder("root ::= \"{\" space");
        for (int i = 0; i < 20; i++) {
            b.append(i == 0 ? "" : " \",\" space").append(" p").append(i).append("-kv");
        }
        b.append(" \"}\" space\n");
        for (int i = 0; i < 20; i++) {
            b.append("p").append(i).append("-kv ::= \"\\\"p").append(i).append("\\\"\" space \":\" space ")
                    .append(kinds[i % kinds.length]).append('\n');
        }
        b.append("""
                boolean ::= ("true" | "false") space
                char ::= [^"\\\\\\x7F\\x00-\\x1F] | [\\\\] (["\\\\bfnrt] | "u" [0-9a-fA-F]{4})
                integer ::= ("-"? integral-part) space
                integral-part ::= [0] | [1-9] [0-9]{0,15}
                decimal-part ::= [0-9]{1,16}
                number ::= ("-"? integral-part) ("." decimal-part)? ([eE] [-+]? integral-part)? space
                space ::= | " " | "\\n"{1,2} [ \\t]{0,20}
                string ::= "\\"" char* "\\"" space
                strings ::= "[" space (string ("," space string)*)? "]" space
                """);
        return b.toString();
    }

    /** A document of {@link #OBJECT20}. */
    public static String object20Doc() {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < 20; i++) {
            b.append(i == 0 ? "" : ", ").append("\"p").append(i).append("\": ");
            b.append(switch (i % 5) {
                case 0 -> "\"value number " + i + "\"";
                case 1 -> Integer.toString(i * 37);
                case 2 -> "-" + i + ".25";
                case 3 -> i % 2 == 0 ? "true" : "false";
                default -> "[\"x" + i + "\", \"y\"]";
            });
        }
        return b.append("}").toString();
    }

    /** A JSON document json.gbnf accepts. */
    public static String jsonDoc() {
        return JSON_DOC;
    }

    /** Longest-match tokens of {@code doc} that the grammar accepts one after the other. */
    public static int[] tokens(Tokenizer tok, Grammar g, String doc) {
        Map<String, List<Integer>> byPiece = new HashMap<>();
        for (int t = 0; t < tok.vocabSize(); t++) {
            if (!tok.isControl(t) && !tok.isEndOfGeneration(t)) {
                byPiece.computeIfAbsent(new String(tok.tokenBytes(t), StandardCharsets.ISO_8859_1),
                        k -> new ArrayList<>()).add(t);
            }
        }
        String bytes = new String(doc.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        GrammarSampler s = g.sampler(tok);
        List<Integer> out = new ArrayList<>();
        int pos = 0;
        while (pos < bytes.length()) {
            int chosen = -1;
            int len = Math.min(24, bytes.length() - pos);
            for (; len > 0 && chosen < 0; len--) {
                for (int t : byPiece.getOrDefault(bytes.substring(pos, pos + len), List.of())) {
                    if (s.allows(t)) {
                        chosen = t;
                        break;
                    }
                }
            }
            if (chosen < 0) {
                throw new IllegalStateException("no token continues the document at byte " + pos);
            }
            s.accept(chosen);
            out.add(chosen);
            pos += len + 1;
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** [filter µs, check µs] per token, mean over {@code repeats} walks after as many warm-up walks. */
    static double[] ours(Tokenizer tok, Grammar g, int[] seq, int repeats) {
        boolean[] allowed = new boolean[tok.vocabSize()];
        double[] result = new double[2];
        for (int pass = 0; pass < 2; pass++) {
            long filter = 0;
            long check = 0;
            for (int r = 0; r < repeats; r++) {
                GrammarSampler s = g.sampler(tok);
                for (int t : seq) {
                    long t0 = System.nanoTime();
                    s.mask(allowed);
                    long t1 = System.nanoTime();
                    boolean ok = s.allows(t);
                    long t2 = System.nanoTime();
                    if (!ok || !allowed[t]) {
                        throw new IllegalStateException("token " + t + " refused");
                    }
                    filter += t1 - t0;
                    check += t2 - t1;
                    s.accept(t);
                }
            }
            result[0] = filter / 1e3 / repeats / seq.length;
            result[1] = check / 1e3 / repeats / seq.length;
        }
        return result;
    }

    /** [filter µs, check µs] per token from ggml4j-grammar-ref's bench mode. */
    static double[] llama(Path vocab, String grammar, int[] seq, int repeats) throws IOException, InterruptedException {
        Path bin = NativeLoader.ensureLoaded().extraBinDir().orElseThrow().resolve("ggml4j-grammar-ref");
        Path g = Files.createTempFile("ggml4j-bench-", ".gbnf");
        Path t = Files.createTempFile("ggml4j-bench-", ".tokens");
        try {
            Files.writeString(g, grammar);
            StringBuilder b = new StringBuilder();
            for (int id : seq) {
                b.append(id).append(' ');
            }
            Files.writeString(t, b.append('\n'));
            Process p = new ProcessBuilder(bin.toString(), "bench", vocab.toString(), g.toString(), t.toString(),
                    Integer.toString(repeats)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("ggml4j-grammar-ref bench failed: " + out);
            }
            double[] r = new double[2];
            for (String line : out.lines().toList()) {
                if (line.startsWith("filter_us ")) {
                    r[0] = Double.parseDouble(line.substring(10));
                } else if (line.startsWith("check_us ")) {
                    r[1] = Double.parseDouble(line.substring(9));
                }
            }
            return r;
        } finally {
            Files.deleteIfExists(g);
            Files.deleteIfExists(t);
        }
    }

    public static void main(String[] args) throws Exception {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        Path json = NativeLoader.ensureLoaded().llamaSourceDir().orElseThrow().resolve("grammars/json.gbnf");
        String jsonText = Files.readString(json);
        System.out.println("| vocabulary | grammar | tokens | ggml4j filter µs | llama.cpp filter µs | "
                + "ggml4j check µs | llama.cpp check µs |");
        System.out.println("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        for (String vocab : List.of("llama-spm", "llama-bpe")) {
            Path file = SyntheticLlama.vocabPath(vocab);
            Tokenizer tok;
            try (GgufFile gguf = GgufFile.open(file)) {
                tok = Tokenizer.fromGguf(gguf);
            }
            for (String[] c : new String[][] {{"json.gbnf", jsonText, JSON_DOC}, {"20-property object", OBJECT20,
                    object20Doc()}}) {
                Grammar g = Grammar.gbnf(c[1]);
                int[] seq = tokens(tok, g, c[2]);
                double[] mine = ours(tok, g, seq, repeats);
                double[] ref = llama(file, c[1], seq, repeats);
                System.out.printf(Locale.ROOT, "| %s (%d) | %s | %d | %.1f | %.1f | %.2f | %.2f |%n", vocab,
                        tok.vocabSize(), c[0], seq.length, mine[0], ref[0], mine[1], ref[1]);
            }
        }
    }
}
