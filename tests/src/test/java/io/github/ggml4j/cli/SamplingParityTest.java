package io.github.ggml4j.cli;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.sampling.DryOptions;
import io.github.ggml4j.sampling.SamplingOptions;
import io.github.ggml4j.session.FinishReason;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded sampling reproduces llama.cpp: the same seed and chain give the tokens {@code llama-completion} prints
 * for the same file and prompt (its dist sampler draws from std::mt19937 through libstdc++'s
 * generate_canonical; ggml4j does the same in Java). Each chain here is a different mix of llama.cpp's samplers.
 */
class SamplingParityTest {

    static final String PROMPT = "Hello my name is";
    static final int N = 24;

    /** A prompt that repeats itself, so DRY has sequences to penalize. */
    static final String REPEATING = "one two three four, one two three four, one two three four, one two";

    record Chain(String[] flags, SamplingOptions options, String prompt) {
        Chain(String[] flags, SamplingOptions options) {
            this(flags, options, PROMPT);
        }
    }

    static List<Chain> chains() {
        SamplingOptions d = SamplingOptions.defaults();
        List<Chain> c = new ArrayList<>();
        c.add(new Chain(new String[] {"--temp", "0.8", "-s", "42"}, d.withSeed(42)));
        c.add(new Chain(new String[] {"--temp", "1.0", "-s", "1"}, d.withTemperature(1.0f).withSeed(1)));
        c.add(new Chain(new String[] {"--temp", "1.2", "--top-k", "0", "-s", "7"},
                d.withTemperature(1.2f).withTopK(0).withSeed(7)));
        c.add(new Chain(new String[] {"--temp", "0.9", "--top-p", "0.5", "-s", "3"},
                d.withTemperature(0.9f).withTopP(0.5f).withSeed(3)));
        c.add(new Chain(new String[] {"--temp", "1.5", "--min-p", "0", "--top-k", "100", "-s", "11"},
                d.withTemperature(1.5f).withMinP(0).withTopK(100).withSeed(11)));
        c.add(new Chain(new String[] {"--temp", "1.0", "--typical", "0.7", "-s", "5"},
                d.withTemperature(1.0f).withTypicalP(0.7f).withSeed(5)));
        c.add(new Chain(new String[] {"--temp", "1.0", "--repeat-penalty", "1.3", "-s", "9"},
                d.withTemperature(1.0f).withPenalties(64, 1.3f, 0, 0).withSeed(9)));
        c.add(new Chain(new String[] {"--temp", "1.1", "--frequency-penalty", "0.5", "--presence-penalty", "0.3",
                "-s", "13"}, d.withTemperature(1.1f).withPenalties(64, 1.0f, 0.5f, 0.3f).withSeed(13)));
        c.add(new Chain(new String[] {"--temp", "2.0", "--top-k", "0", "--top-p", "1.0", "--min-p", "0", "-s", "17"},
                d.withTemperature(2.0f).withTopK(0).withTopP(1.0f).withMinP(0).withSeed(17)));
        c.add(new Chain(new String[] {"--temp", "0.7", "--top-k", "5", "--repeat-last-n", "16", "--repeat-penalty", "1.1",
                "-s", "23"}, d.withTemperature(0.7f).withTopK(5).withPenalties(16, 1.1f, 0, 0).withSeed(23)));
        c.add(new Chain(new String[] {"--temp", "1.0", "--dynatemp-range", "0.5", "-s", "3"},
                d.withTemperature(1.0f).withDynamicTemperature(0.5f, 1.0f).withSeed(3)));
        c.add(new Chain(new String[] {"--temp", "1.0", "--dynatemp-range", "0.8", "--dynatemp-exp", "2", "--top-k", "0",
                "-s", "4"}, d.withTemperature(1.0f).withDynamicTemperature(0.8f, 2.0f).withTopK(0).withSeed(4)));
        c.add(new Chain(new String[] {"--temp", "1.0", "--xtc-probability", "0.5", "--xtc-threshold", "0.05", "--top-k",
                "0", "--min-p", "0", "-s", "8"},
                d.withTemperature(1.0f).withXtc(0.5f, 0.05f).withTopK(0).withMinP(0).withSeed(8)));
        c.add(new Chain(new String[] {"--temp", "1.0", "--mirostat", "2", "-s", "21"},
                d.withTemperature(1.0f).withMirostat(2, 5.0f, 0.1f).withSeed(21)));
        c.add(new Chain(new String[] {"--temp", "0.9", "--mirostat", "1", "--mirostat-ent", "4", "-s", "22"},
                d.withTemperature(0.9f).withMirostat(1, 4.0f, 0.1f).withSeed(22)));
        c.add(new Chain(new String[] {"--temp", "1.0", "--mirostat", "2", "--mirostat-lr", "0.3", "--mirostat-ent", "6",
                "-s", "5"}, d.withTemperature(1.0f).withMirostat(2, 6.0f, 0.3f).withSeed(5)));
        c.add(new Chain(new String[] {"--temp", "0.9", "--top-k", "20", "--top-p", "0.8", "--min-p", "0.02",
                "--repeat-penalty", "1.2", "--presence-penalty", "0.5", "--typical", "0.95", "-s", "44"},
                d.withTemperature(0.9f).withTopK(20).withTopP(0.8f).withMinP(0.02f).withTypicalP(0.95f)
                        .withPenalties(64, 1.2f, 0.0f, 0.5f).withSeed(44)));
        // the model is random, so a logit bias makes it favour " three", the token that continues the repeats of
        // the prompt; DRY then has something to push back against
        int three = threeToken();
        DryOptions dry = DryOptions.DEFAULTS;
        c.add(new Chain(new String[] {"--temp", "0.5", "--dry-multiplier", "0.8", "--logit-bias", three + "+6",
                "-s", "31"}, d.withTemperature(0.5f).withDry(dry.withMultiplier(0.8f))
                .withLogitBias(Map.of(three, 6f)).withSeed(31), REPEATING));
        c.add(new Chain(new String[] {"--temp", "1.0", "--dry-multiplier", "3", "--dry-base", "1.5",
                "--dry-allowed-length", "1", "--dry-penalty-last-n", "32", "--logit-bias", three + "+6", "-s", "32"},
                d.withTemperature(1.0f).withDry(dry.withMultiplier(3).withBase(1.5f).withAllowedLength(1)
                        .withPenaltyLastN(32)).withLogitBias(Map.of(three, 6f)).withSeed(32), REPEATING));
        // a breaker ("four") caps the repeat DRY sees at the tokens since the last "four"
        c.add(new Chain(new String[] {"--temp", "0.8", "--dry-multiplier", "1.5", "--dry-sequence-breaker", "four",
                "--logit-bias", three + "+4", "--top-k", "0", "-s", "33"},
                d.withTemperature(0.8f).withTopK(0).withDry(dry.withMultiplier(1.5f).withBreakers(List.of("four")))
                        .withLogitBias(Map.of(three, 4f)).withSeed(33), REPEATING));
        return c;
    }

    static int threeToken() {
        try (var gguf = io.github.ggml4j.gguf.GgufFile.open(CliModels.LLAMA_Q4_0.cached())) {
            int[] ids = Tokenizer.fromGguf(gguf).encode("three", false, false); // SPM adds the word-start space
            assertEquals(1, ids.length, "\" three\" should be one token of this vocabulary");
            return ids[0];
        }
    }

    @Test
    void seededChainsGiveLlamaCompletionsTokens() {
        Path file = CliModels.LLAMA_Q4_0.cached();
        int matched = 0;
        List<String> report = new ArrayList<>();
        try (Model m = Model.load(file, ModelOptions.defaults().withThreads(2).withContextSize(256).withCachedPrompts(0))) {
            Tokenizer t = m.tokenizer();
            for (Chain c : chains()) {
                Generation g;
                try (Session s = m.newSession()) {
                    g = s.generate(c.prompt(), GenerateOptions.sampled(N, c.options()));
                }
                byte[] ours = LlamaSimpleParityTest.pieces(t, g.tokens(), false);
                if (g.finishReason() == FinishReason.END_OF_GENERATION) {
                    ours = LlamaSimpleParityTest.concat(ours, " [end of text]\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
                List<String> args = new ArrayList<>(List.of("-m", file.toString(), "-p", c.prompt(), "-n", Integer.toString(N),
                        "-t", "2", "-no-cnv", "--no-escape", "--no-display-prompt", "--no-warmup"));
                args.addAll(Arrays.asList(c.flags()));
                // llama-completion ends with "\n\n"
                ours = LlamaSimpleParityTest.concat(ours, new byte[] {'\n', '\n'});
                byte[] ref = ReferenceTool.check(60, "llama-completion", args.toArray(String[]::new)).stdout();
                boolean same = Arrays.equals(ours, ref);
                report.add(String.join(" ", c.flags()) + ": " + (same ? "same" : "DIFFERENT\n    ggml4j:    "
                        + new String(ours, java.nio.charset.StandardCharsets.UTF_8) + "\n    llama.cpp: "
                        + new String(ref, java.nio.charset.StandardCharsets.UTF_8)));
                if (same) {
                    matched++;
                }
            }
        }
        System.out.println("seeded sampling vs llama-completion: " + matched + "/" + chains().size() + " chains token for token");
        report.forEach(r -> System.out.println("  " + r));
        assertEquals(chains().size(), matched, String.join("\n", report));
    }

    /** The DRY chains above must exercise DRY: without it the same seed gives other tokens. */
    @Test
    void theDryChainsAreAffectedByDry() {
        Path file = CliModels.LLAMA_Q4_0.cached();
        int changed = 0;
        try (Model m = Model.load(file, ModelOptions.defaults().withThreads(2).withContextSize(256).withCachedPrompts(0))) {
            for (Chain c : chains()) {
                if (!c.options().dry().enabled()) {
                    continue;
                }
                int[] with;
                int[] without;
                try (Session s = m.newSession()) {
                    with = s.generate(c.prompt(), GenerateOptions.sampled(N, c.options())).tokens();
                }
                try (Session s = m.newSession()) {
                    without = s.generate(c.prompt(), GenerateOptions.sampled(N, c.options()
                            .withDry(DryOptions.DEFAULTS))).tokens();
                }
                try (Session s = m.newSession()) {
                    // and with DRY the way it was asked for: the same tokens every time
                    org.junit.jupiter.api.Assertions.assertArrayEquals(with,
                            s.generate(c.prompt(), GenerateOptions.sampled(N, c.options())).tokens());
                }
                if (!Arrays.equals(with, without)) {
                    changed++;
                }
            }
        }
        assertEquals(3, changed, "every DRY chain should change what is generated");
    }

    /** The same seed gives the same tokens; another seed other tokens. */
    @Test
    void seedsAreReproducible() {
        try (Model m = Model.load(CliModels.LLAMA_Q4_0.cached(), ModelOptions.defaults().withThreads(2).withContextSize(256))) {
            int[][] runs = new int[3][];
            long[] seeds = {5, 5, 6};
            for (int i = 0; i < 3; i++) {
                try (Session s = m.newSession()) {
                    runs[i] = s.generate(PROMPT, GenerateOptions.sampled(N, SamplingOptions.defaults()
                            .withTemperature(1.5f).withTopK(0).withMinP(0).withSeed(seeds[i]))).tokens();
                }
            }
            assertTrue(Arrays.equals(runs[0], runs[1]), "same seed");
            assertTrue(!Arrays.equals(runs[0], runs[2]), "another seed");
        }
    }

    @Test
    void invalidSamplingValuesAreRefused() {
        SamplingOptions d = SamplingOptions.defaults();
        for (Runnable bad : List.<Runnable>of(() -> d.withTemperature(Float.NaN), () -> d.withTopK(-1),
                () -> d.withTopP(1.5f), () -> d.withMinP(-0.1f), () -> d.withTypicalP(Float.NaN),
                () -> d.withPenalties(-1, 1, 0, 0), () -> d.withPenalties(64, 0, 0, 0), () -> d.withSeed(-1),
                () -> d.withLogitBias(Map.of(-3, 1.0f)))) {
            try {
                bad.run();
                throw new AssertionError("accepted an invalid value");
            } catch (IllegalArgumentException expected) {
                // case 38
            }
        }
        Cli.Result r = Cli.run("generate", "-m", CliModels.LLAMA_Q4_0.cached().toString(), "-p", "hi", "--top-p", "2");
        assertEquals(ExitCodes.USAGE, r.exit());
        assertTrue(r.err().contains("top-p"), r.err());
    }
}
