package io.github.ggml4j.cli;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.sampling.DryOptions;
import io.github.ggml4j.sampling.SamplerChain;
import io.github.ggml4j.sampling.SamplingOptions;
import io.github.ggml4j.session.Session;

import java.io.PrintWriter;
import java.nio.FloatBuffer;
import java.util.Locale;
import java.util.Random;

/**
 * {@code bench --sampling}: what choosing a token costs on this model's real logits (read where they lie, as
 * generation reads them), beside the time of generating one, measured in the same run.
 */
final class SamplerCost {

    private SamplerCost() {
    }

    static void report(Model model, double tgTokensPerSecond, PrintWriter out) {
        double tokenMicros = 1e6 / tgTokensPerSecond;
        out.println();
        out.printf(Locale.ROOT, "sampler cost on this model's logits (vocabulary %d), beside one generated token "
                + "(%.0f µs at %.2f t/s):%n", model.info().hyperParameters().vocabularySize(), tokenMicros, tgTokensPerSecond);
        out.println("| chain                                             |   µs/token | share of a token |");
        out.println("| ------------------------------------------------- | ---------: | ---------------: |");
        SamplingOptions penalties = SamplingOptions.defaults().withPenalties(64, 1.1f, 0.1f, 0.1f).withSeed(1);
        row(out, model, "penalties, top-k 40, top-p, min-p, temperature", penalties, tokenMicros);
        row(out, model, "the same with DRY", penalties.withDry(DryOptions.DEFAULTS.withMultiplier(0.8f)), tokenMicros);
        row(out, model, "top-k 0 (whole vocabulary), top-p, min-p", penalties.withTopK(0), tokenMicros);
        if (model.hasTokenizer()) {
            row(out, model, "default chain + JSON grammar (tokens accepted)", penalties, tokenMicros, JSON);
        }
        out.flush();
    }

    /** A JSON grammar of ours (objects, arrays, strings, numbers, literals; optional blanks) for the grammar row. */
    static final String JSON = """
            root ::= obj
            val ::= obj | arr | str | num | ("true" | "false" | "null") sp
            obj ::= "{" sp (str ":" sp val ("," sp str ":" sp val)*)? "}" sp
            arr ::= "[" sp (val ("," sp val)*)? "]" sp
            str ::= "\\"" ([^"\\\\\\x00-\\x1F] | "\\\\" (["\\\\/bfnrt] | "u" [0-9a-fA-F]{4}))* "\\"" sp
            num ::= "-"? ("0" | [1-9] [0-9]*) ("." [0-9]+)? ([eE] [-+]? [0-9]+)? sp
            sp ::= [ \\t\\n]{0,8}
            """;

    private static void row(PrintWriter out, Model model, String name, SamplingOptions options, double tokenMicros) {
        row(out, model, name, options, tokenMicros, null);
    }

    private static void row(PrintWriter out, Model model, String name, SamplingOptions options, double tokenMicros,
                            String grammar) {
        Random r = new Random(3);
        int vocab = model.info().hyperParameters().vocabularySize();
        try (Session s = model.newSession()) {
            int[] prompt = new int[16];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = r.nextInt(vocab);
            }
            s.evaluate(prompt);
            SamplerChain chain = grammar == null ? SamplerChain.of(options, model.hasTokenizer() ? model.tokenizer() : null)
                    : SamplerChain.of(options, model.tokenizer(), io.github.ggml4j.grammar.Grammar.gbnf(grammar));
            for (int i = 0; i < 64; i++) {
                chain.accept(i % 3 == 0 ? r.nextInt(vocab) : i % 8);
            }
            FloatBuffer logits = s.logitsView();
            int sink = 0;
            for (int i = 0; i < 200; i++) { // warm up the JIT
                sink += step(chain, logits, grammar != null);
            }
            int n = 500;
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sink += step(chain, logits, grammar != null);
            }
            double micros = (System.nanoTime() - t0) / 1e3 / n;
            out.printf(Locale.ROOT, "| %-49s | %10.1f | %15.2f%% |%n", name, micros, 100 * micros / tokenMicros);
            if (sink == Integer.MIN_VALUE) {
                out.println();
            }
        }
    }

    /** One draw; under a grammar the token is accepted too, so the grammar walks through a document. */
    private static int step(SamplerChain chain, FloatBuffer logits, boolean accept) {
        int t = chain.sample(logits);
        if (accept) {
            chain.accept(t);
        }
        return t;
    }
}
