package io.github.ggml4j.cli;

import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.StringJoiner;
import java.util.concurrent.Callable;

/** {@code ggml4j tokenize}: token ids of a text, like {@code llama-tokenize}; reads only the vocabulary. */
@Command(name = "tokenize", mixinStandardHelpOptions = true, description = "Tokenize text with a model's vocabulary.")
final class TokenizeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, description = "GGUF model (or vocabulary) file")
    Path model;

    @Option(names = {"-p", "--prompt"}, required = true, description = "the text")
    String prompt;

    @Option(names = "--ids", description = "print only the ids, as a list like [1, 2, 3]")
    boolean idsOnly;

    @Option(names = "--no-bos", description = "do not add the BOS/EOS tokens the vocabulary asks for")
    boolean noBos;

    @Option(names = "--no-parse-special", description = "treat special-token text as plain text")
    boolean noParseSpecial;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (GgufFile file = GgufFile.open(model)) {
            Tokenizer t = Tokenizer.fromGguf(file);
            int[] ids = t.encode(prompt, !noBos, !noParseSpecial);
            if (idsOnly) {
                StringJoiner j = new StringJoiner(", ", "[", "]");
                for (int id : ids) {
                    j.add(Integer.toString(id));
                }
                out.println(j);
            } else {
                for (int id : ids) {
                    out.printf("%6d -> '%s'%n", id, t.tokenPiece(id));
                }
            }
        }
        out.flush();
        return ExitCodes.OK;
    }
}
