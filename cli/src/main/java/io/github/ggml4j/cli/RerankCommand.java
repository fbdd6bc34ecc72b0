package io.github.ggml4j.cli;

import io.github.ggml4j.model.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code ggml4j rerank}: relevance scores of documents for a query, with a cross-encoder reranker. */
@Command(name = "rerank", mixinStandardHelpOptions = true,
        description = "Score documents against a query with a reranker (an encoder with pooling rank).")
final class RerankCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelArgs modelArgs;

    @Mixin
    RunArgs runArgs;

    @Option(names = {"-q", "--query"}, required = true, description = "the query")
    String query;

    @Option(names = {"-d", "--doc"}, required = true, description = "a document to score; repeatable")
    List<String> docs;

    @Option(names = "--sort", description = "print the documents by descending score")
    boolean sort;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Model m = Model.load(modelArgs.model, runArgs.modelOptions(modelArgs))) {
            float[] scores = m.rank(query, docs);
            Integer[] order = new Integer[scores.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            if (sort) {
                java.util.Arrays.sort(order, (a, b) -> Float.compare(scores[b], scores[a]));
            }
            for (int i : order) {
                out.printf(Locale.ROOT, "rerank score %d: %8.3f  %s%n", i, scores[i], docs.get(i));
            }
        }
        out.flush();
        return ExitCodes.OK;
    }
}
