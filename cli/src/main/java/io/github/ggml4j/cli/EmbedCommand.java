package io.github.ggml4j.cli;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.Pooling;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code ggml4j embed}: embeddings of texts with an encoder model, as llama.cpp's {@code llama-embedding} prints
 * them (the same {@code --embd-normalize} and {@code --embd-output-format} options).
 */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Embed texts with an encoder model (bert, nomic-bert), like llama-embedding.")
final class EmbedCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelArgs modelArgs;

    @Mixin
    RunArgs runArgs;

    @Option(names = {"-p", "--prompt"}, required = true,
            description = "the texts, separated by --embd-separator (a newline by default); repeatable")
    List<String> prompts;

    @Option(names = "--embd-separator", defaultValue = "\n", description = "what separates texts in -p")
    String separator;

    @Option(names = "--embd-normalize", defaultValue = "2", paramLabel = "N",
            description = "-1 none, 0 max absolute int16, 1 taxicab, 2 euclidean (default), >2 p-norm")
    int normalize;

    @Option(names = "--embd-output-format", defaultValue = "", paramLabel = "FORMAT",
            description = "json, json+ (with the cosine similarity matrix), array or raw (one vector per line); "
                    + "default: a summary per text")
    String format;

    @Override
    public Integer call() {
        if (normalize < -1) {
            throw new IllegalArgumentException("--embd-normalize must be -1 or more, not " + normalize);
        }
        if (!List.of("", "json", "json+", "array", "raw").contains(format)) {
            throw new IllegalArgumentException("--embd-output-format must be json, json+, array or raw, not '"
                    + format + "'");
        }
        if (separator.isEmpty()) {
            throw new IllegalArgumentException("--embd-separator must not be empty");
        }
        List<String> texts = new ArrayList<>();
        for (String p : prompts) {
            texts.addAll(Arrays.asList(p.split(java.util.regex.Pattern.quote(separator), -1)));
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Model m = Model.load(modelArgs.model, runArgs.modelOptions(modelArgs))) {
            boolean tokens = m.pooling().orElse(null) == Pooling.NONE;
            List<float[]> rows = new ArrayList<>();
            if (tokens) {
                for (String t : texts) {
                    rows.addAll(Arrays.asList(m.embedTokens(t, false)));
                }
            } else {
                rows.addAll(Arrays.asList(m.embed(texts, false)));
            }
            float[][] v = rows.stream().map(r -> Normalization.apply(r, normalize)).toArray(float[][]::new);
            print(out, v, texts.size() > 1 && !tokens);
        }
        out.flush();
        return ExitCodes.OK;
    }

    private void print(PrintWriter out, float[][] v, boolean similarity) {
        String num = normalize == 0 ? "%1.0f" : "%1.7f";
        switch (format) {
            case "raw" -> {
                for (float[] row : v) {
                    out.println(join(row, num, " "));
                }
            }
            case "array" -> {
                StringBuilder sb = new StringBuilder("[");
                for (int j = 0; j < v.length; j++) {
                    sb.append(j > 0 ? "," : "").append('[').append(join(v[j], num, ",")).append(']');
                }
                out.println(sb.append(']'));
            }
            case "json", "json+" -> {
                out.println("{\n  \"object\": \"list\",\n  \"data\": [");
                for (int j = 0; j < v.length; j++) {
                    out.printf(Locale.ROOT, "    {\n      \"object\": \"embedding\",\n      \"index\": %d,\n"
                            + "      \"embedding\": [%s]\n    }%s%n", j, join(v[j], num, ","), j + 1 < v.length ? "," : "");
                }
                out.print("  ]");
                if (format.equals("json+") && similarity) {
                    out.println(",\n  \"cosineSimilarity\": [");
                    for (int i = 0; i < v.length; i++) {
                        StringBuilder sb = new StringBuilder("    [");
                        for (int j = 0; j < v.length; j++) {
                            sb.append(j > 0 ? ", " : "").append(String.format(Locale.ROOT, "%6.2f",
                                    Normalization.cosine(v[i], v[j])));
                        }
                        out.print(sb.append(" ]").append(i + 1 < v.length ? ",\n" : "\n"));
                    }
                    out.print("  ]");
                }
                out.println("\n}");
            }
            default -> {
                String cell = normalize == 0 ? "%6.0f" : "%9.6f";
                for (int j = 0; j < v.length; j++) {
                    int n = v.length > 1 ? Math.min(16, v[j].length) : v[j].length;
                    out.println("embedding " + j + ": " + join(Arrays.copyOf(v[j], n), cell, " "));
                }
                if (similarity) {
                    out.println("\ncosine similarity matrix:");
                    for (float[] a : v) {
                        StringBuilder sb = new StringBuilder();
                        for (float[] b : v) {
                            sb.append(String.format(Locale.ROOT, "%6.2f ", Normalization.cosine(a, b)));
                        }
                        out.println(sb.toString().stripTrailing());
                    }
                }
            }
        }
    }

    private static String join(float[] row, String fmt, String sep) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < row.length; i++) {
            sb.append(i > 0 ? sep : "").append(String.format(Locale.ROOT, fmt, row[i]));
        }
        return sb.toString();
    }
}
