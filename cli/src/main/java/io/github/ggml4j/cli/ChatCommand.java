package io.github.ggml4j.cli;

import io.github.ggml4j.StorageException;
import io.github.ggml4j.chat.ChatSession;
import io.github.ggml4j.chat.ChatTemplate;
import io.github.ggml4j.chat.TemplateLimits;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Token;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code ggml4j chat}: a conversation with the model's own chat template. On a terminal it reads one message per
 * line ({@code /reset} forgets the conversation, {@code /exit} or end of input quits); with standard input from a
 * pipe or file it answers that text as one message (or one per line with {@code -i}). Replies stream to stdout;
 * prompts and statistics go to stderr.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chat with a model through its chat template (interactive on a terminal).")
final class ChatCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelArgs modelArgs;

    @Mixin
    SamplingArgs samplingArgs;

    @Mixin
    RunArgs runArgs;

    @Option(names = {"-sys", "--system-prompt"}, description = "the system message")
    String systemPrompt;

    @Option(names = {"-p", "--prompt"}, description = "the first user message (then, on a terminal, go on)")
    String prompt;

    @Option(names = {"-n", "--n-predict"}, defaultValue = "512",
            description = "most tokens per reply (default ${DEFAULT-VALUE})")
    int nPredict;

    @Option(names = {"-i", "--interactive"},
            description = "read one message per line even when standard input is not a terminal")
    boolean interactive;

    @Option(names = "--chat-template-file", paramLabel = "FILE",
            description = "a Jinja chat template to use instead of the file's")
    Path templateFile;

    @Option(names = "--chatml", description = "use the ChatML fallback format instead of the file's template")
    boolean chatMl;

    @Override
    public Integer call() throws IOException {
        modelArgs.model = DefaultModel.orDemo(modelArgs.model);
        if (nPredict < 1) {
            throw new IllegalArgumentException("-n/--n-predict must be at least 1, got " + nPredict);
        }
        if (chatMl && templateFile != null) {
            throw new IllegalArgumentException("give --chatml or --chat-template-file, not both");
        }
        GenerateOptions options = GenerateOptions.sampled(nPredict, samplingArgs.options())
                .withGrammar(samplingArgs.grammar());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean terminal = System.console() != null && System.console().isTerminal();
        try (Model model = Model.load(modelArgs.model, runArgs.modelOptions(modelArgs))) {
            ChatTemplate template = template(model);
            err.println("ggml4j: chat template: " + (template.isFallback() ? "ChatML (fallback)"
                    : templateFile != null ? templateFile : "the model file's"));
            model.tokenizer();
            try (ChatSession chat = ChatSession.over(model.newSession(), template, systemPrompt)) {
                try {
                    if (prompt != null) {
                        reply(chat, prompt, options, out, err);
                    }
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                    if (!terminal && !interactive) {
                        if (prompt == null) {
                            String all = readAll(in);
                            if (all.isBlank()) {
                                throw new IllegalArgumentException("no message: give -p TEXT or text on standard input");
                            }
                            reply(chat, all, options, out, err);
                        }
                        return ExitCodes.OK;
                    }
                    loop(chat, in, options, out, err, terminal);
                } finally {
                    chat.session().close();
                }
            }
        }
        return ExitCodes.OK;
    }

    private ChatTemplate template(Model model) {
        if (chatMl) {
            return ChatTemplate.chatMl();
        }
        if (templateFile != null) {
            try {
                return ChatTemplate.of(Files.readString(templateFile), model, TemplateLimits.DEFAULT);
            } catch (IOException e) {
                throw new StorageException("cannot read --chat-template-file " + templateFile + ": " + e.getMessage(), e);
            }
        }
        return ChatTemplate.forModel(model);
    }

    private static void loop(ChatSession chat, BufferedReader in, GenerateOptions options, PrintWriter out,
                             PrintWriter err, boolean terminal) throws IOException {
        if (terminal) {
            err.println("ggml4j: type a message; /reset forgets the conversation, /exit quits");
        }
        while (true) {
            if (terminal) {
                err.print("> ");
                err.flush();
            }
            String line = in.readLine();
            if (line == null || line.strip().equals("/exit")) {
                return;
            }
            if (line.strip().equals("/reset")) {
                chat.reset();
                err.println("ggml4j: conversation reset");
                err.flush();
                continue;
            }
            if (line.isBlank()) {
                continue;
            }
            reply(chat, line, options, out, err);
        }
    }

    private static void reply(ChatSession chat, String message, GenerateOptions options, PrintWriter out,
                              PrintWriter err) {
        long t0 = System.nanoTime();
        int generated = 0;
        String finish = "";
        try (Stream<Token> tokens = chat.stream(message, options)) {
            for (Token t : (Iterable<Token>) tokens::iterator) {
                out.print(t.text());
                out.flush();
                if (t.isEnd()) {
                    finish = t.finishReason().name().toLowerCase(Locale.ROOT);
                } else {
                    generated++;
                }
            }
        }
        out.println();
        out.flush();
        ChatSession.Turn turn = chat.lastTurn();
        err.printf(Locale.ROOT, "ggml4j: prompt %d tokens (%d reused, %d evaluated), reply %d tokens in %.2f s, "
                        + "finish: %s%n", turn.promptTokens(), turn.reusedTokens(), turn.evaluatedTokens(), generated,
                (System.nanoTime() - t0) / 1e9, finish);
        err.flush();
    }

    private static String readAll(BufferedReader in) throws IOException {
        StringBuilder b = new StringBuilder();
        char[] buf = new char[8192];
        for (int n; (n = in.read(buf)) > 0; ) {
            b.append(buf, 0, n);
        }
        return b.toString();
    }
}
