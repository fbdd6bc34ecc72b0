package io.github.ggml4j.cli;

import io.github.ggml4j.sampling.SamplingOptions;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** llama.cpp's sampling flags, shared by {@code generate} and {@code chat}. */
final class SamplingArgs {

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

    @Option(names = "--dynatemp-range", defaultValue = "0.0", description = "dynamic temperature range, 0 disables (default ${DEFAULT-VALUE})")
    float dynatempRange;

    @Option(names = "--dynatemp-exp", defaultValue = "1.0", description = "dynamic temperature exponent (default ${DEFAULT-VALUE})")
    float dynatempExp;

    @Option(names = "--xtc-probability", defaultValue = "0.0", description = "XTC probability, 0 disables (default ${DEFAULT-VALUE})")
    float xtcProbability;

    @Option(names = "--xtc-threshold", defaultValue = "0.1", description = "XTC threshold, above 0.5 disables (default ${DEFAULT-VALUE})")
    float xtcThreshold;

    @Option(names = "--mirostat", defaultValue = "0", description = "0 off, 1 Mirostat, 2 Mirostat 2.0 (default ${DEFAULT-VALUE})")
    int mirostat;

    @Option(names = "--mirostat-lr", defaultValue = "0.1", description = "Mirostat learning rate eta (default ${DEFAULT-VALUE})")
    float mirostatLr;

    @Option(names = "--dry-multiplier", defaultValue = "0.0", description = "DRY multiplier, 0 disables (default ${DEFAULT-VALUE})")
    float dryMultiplier;

    @Option(names = "--dry-base", defaultValue = "1.75", description = "DRY base (default ${DEFAULT-VALUE})")
    float dryBase;

    @Option(names = "--dry-allowed-length", defaultValue = "2", description = "repeats DRY allows unpenalized (default ${DEFAULT-VALUE})")
    int dryAllowedLength;

    @Option(names = "--dry-penalty-last-n", defaultValue = "64", description = "tokens DRY searches, 0 disables (default ${DEFAULT-VALUE})")
    int dryPenaltyLastN;

    @Option(names = "--dry-sequence-breaker", paramLabel = "STRING",
            description = "a DRY sequence breaker (repeatable; replaces the defaults \\n : \" *; 'none' for none)")
    List<String> dryBreakers = new ArrayList<>();

    @Option(names = "--mirostat-ent", defaultValue = "5.0", description = "Mirostat target entropy tau (default ${DEFAULT-VALUE})")
    float mirostatEnt;

    @Option(names = {"-s", "--seed"}, description = "sampling seed (default: random)")
    Long seed;

    @Option(names = "--logit-bias", split = ",", paramLabel = "TOKEN(+|-)BIAS",
            description = "e.g. 15043+1 or 15043-inf (repeatable, comma-separated)")
    List<String> logitBias = new ArrayList<>();

    @Option(names = "--grammar", paramLabel = "GRAMMAR", description = "GBNF grammar the output must follow")
    String grammarText;

    @Option(names = "--grammar-file", paramLabel = "FNAME", description = "file to read the GBNF grammar from")
    java.nio.file.Path grammarFile;

    @Option(names = {"-j", "--json-schema"}, paramLabel = "SCHEMA", description = "JSON Schema the output must match")
    String jsonSchema;

    @Option(names = {"-jf", "--json-schema-file"}, paramLabel = "FILE", description = "file to read the JSON Schema from")
    java.nio.file.Path jsonSchemaFile;

    /**
     * The grammar the flags name, or null; a bad one is a {@link io.github.ggml4j.grammar.GrammarException} naming
     * line and column.
     */
    io.github.ggml4j.grammar.Grammar grammar() {
        int given = (grammarText != null ? 1 : 0) + (grammarFile != null ? 1 : 0) + (jsonSchema != null ? 1 : 0)
                + (jsonSchemaFile != null ? 1 : 0);
        if (given > 1) {
            throw new IllegalArgumentException("give only one of --grammar, --grammar-file, --json-schema, "
                    + "--json-schema-file");
        }
        if (grammarText != null) {
            return io.github.ggml4j.grammar.Grammar.gbnf(grammarText);
        }
        if (grammarFile != null) {
            return io.github.ggml4j.grammar.Grammar.gbnf(read(grammarFile, "--grammar-file"));
        }
        if (jsonSchema != null) {
            return io.github.ggml4j.grammar.Grammar.jsonSchema(jsonSchema);
        }
        if (jsonSchemaFile != null) {
            return io.github.ggml4j.grammar.Grammar.jsonSchema(read(jsonSchemaFile, "--json-schema-file"));
        }
        return null;
    }

    private static String read(java.nio.file.Path file, String flag) {
        try {
            return java.nio.file.Files.readString(file);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(flag + " " + file + ": cannot read it (" + e.getMessage() + ")", e);
        }
    }

    /** The sampling flags as options; an invalid one is an error naming the flag (case 38). */
    private io.github.ggml4j.sampling.DryOptions dry() {
        List<String> breakers = dryBreakers.isEmpty() ? io.github.ggml4j.sampling.DryOptions.DEFAULTS.breakers()
                : dryBreakers.contains("none") ? List.of() : dryBreakers;
        // llama.cpp ignores a base below 1 (keeping its default)
        float base = dryBase >= 1.0f ? dryBase : io.github.ggml4j.sampling.DryOptions.DEFAULTS.base();
        if (dryPenaltyLastN < 0) {
            throw new IllegalArgumentException("--dry-penalty-last-n must be >= 0, got " + dryPenaltyLastN);
        }
        return new io.github.ggml4j.sampling.DryOptions(dryMultiplier, base, dryAllowedLength, dryPenaltyLastN,
                breakers);
    }

    SamplingOptions options() {
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
                    frequencyPenalty, presencePenalty, s, bias, dynatempRange, dynatempExp, xtcProbability, xtcThreshold,
                    mirostat, mirostatEnt, mirostatLr, dry());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sampling flags: " + e.getMessage(), e);
        }
    }
}
