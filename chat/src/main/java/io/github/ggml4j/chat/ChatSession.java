package io.github.ggml4j.chat;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.Token;
import io.github.ggml4j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * A conversation kept in one session's cells. Each turn renders the whole conversation with the model's
 * {@link ChatTemplate}, keeps the tokens the session already holds up to the first difference, and evaluates
 * only the rest: the new user message and whatever the template puts around it (and, where the assistant's
 * reply tokenizes differently once it is part of the prompt, the reply from that point on).
 *
 * {@snippet :
 * try (ChatSession chat = ChatSession.open(model, "You are terse.")) {
 *     String answer = chat.send("Name a prime.", GenerateOptions.greedy(64));
 *     try (Stream<Token> next = chat.stream("Another one?", GenerateOptions.greedy(64))) {
 *         next.forEach(t -> System.out.print(t.text()));
 *     }
 * }
 * }
 *
 * <p>Not thread-safe: use one chat from one thread at a time, like a {@link Session}.
 */
public final class ChatSession implements AutoCloseable {

    /**
     * What the last turn cost.
     *
     * @param promptTokens    tokens of the whole rendered conversation
     * @param reusedTokens    tokens the session already held (not evaluated again)
     * @param evaluatedTokens tokens evaluated for this turn's prompt
     */
    public record Turn(int promptTokens, int reusedTokens, int evaluatedTokens) {
    }

    private final Session session;
    private final boolean ownsSession;
    private final ChatTemplate template;
    private final Tokenizer tokenizer;
    private final List<ChatMessage> messages = new ArrayList<>();
    private String systemPrompt;
    private Turn lastTurn = new Turn(0, 0, 0);

    private ChatSession(Session session, boolean ownsSession, ChatTemplate template, String systemPrompt) {
        this.session = session;
        this.ownsSession = ownsSession;
        this.template = template;
        this.tokenizer = session.model().tokenizer();
        this.systemPrompt = systemPrompt;
    }

    /** A chat on a new session of {@code model}, with the file's template (or the ChatML fallback). */
    public static ChatSession open(Model model) {
        return open(model, null);
    }

    /** As {@link #open(Model)}, starting with a system prompt (null for none). */
    public static ChatSession open(Model model, String systemPrompt) {
        Objects.requireNonNull(model, "model");
        ChatTemplate template = ChatTemplate.forModel(model);
        model.tokenizer(); // fail before opening a session when the model has no vocabulary
        return new ChatSession(model.newSession(), true, template, systemPrompt);
    }

    /** A chat over a session the caller owns and closes; the chat takes over the session's context. */
    public static ChatSession over(Session session, ChatTemplate template, String systemPrompt) {
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(template, "template");
        return new ChatSession(session, false, template, systemPrompt);
    }

    /** Sends a user message and returns the assistant's whole reply. */
    public String send(String userMessage, GenerateOptions options) {
        int[] suffix = prepare(userMessage, options);
        Generation g = session.generate(suffix, withStops(options), null);
        messages.add(ChatMessage.user(userMessage));
        messages.add(ChatMessage.assistant(g.text()));
        return g.text();
    }

    /**
     * Sends a user message and streams the reply; the reply joins the conversation when the stream ends or is
     * closed (a reply cut short by closing the stream is kept as far as it got).
     */
    public Stream<Token> stream(String userMessage, GenerateOptions options) {
        int[] suffix = prepare(userMessage, options);
        StringBuilder reply = new StringBuilder();
        boolean[] recorded = new boolean[1];
        Runnable record = () -> {
            if (!recorded[0]) {
                recorded[0] = true;
                messages.add(ChatMessage.assistant(reply.toString()));
            }
        };
        Stream<Token> tokens = session.stream(suffix, withStops(options));
        messages.add(ChatMessage.user(userMessage));
        return tokens.peek(t -> {
            reply.append(t.text());
            if (t.isEnd()) {
                record.run();
            }
        }).onClose(record);
    }

    /** The conversation so far (the system prompt first, when there is one). */
    public List<ChatMessage> messages() {
        List<ChatMessage> all = new ArrayList<>();
        if (systemPrompt != null) {
            all.add(ChatMessage.system(systemPrompt));
        }
        all.addAll(messages);
        return List.copyOf(all);
    }

    /** Forgets the conversation (the system prompt stays) and the session's context. */
    public void reset() {
        messages.clear();
        session.clear();
        lastTurn = new Turn(0, 0, 0);
    }

    /** Replaces the system prompt (null for none); the next turn re-evaluates from where the text changed. */
    public void systemPrompt(String prompt) {
        this.systemPrompt = prompt;
    }

    public Turn lastTurn() {
        return lastTurn;
    }

    public ChatTemplate template() {
        return template;
    }

    public Session session() {
        return session;
    }

    /** Closes the session when this chat opened it. */
    @Override
    public void close() {
        if (ownsSession) {
            session.close();
        }
    }

    /** Renders the conversation with the new message, keeps the common prefix, returns the tokens to evaluate. */
    private int[] prepare(String userMessage, GenerateOptions options) {
        Objects.requireNonNull(userMessage, "userMessage");
        Objects.requireNonNull(options, "options");
        List<ChatMessage> next = new ArrayList<>(messages());
        next.add(ChatMessage.user(userMessage));
        int[] prompt = tokenize(template.render(next, true));
        int[] held = session.tokens();
        int common = 0;
        while (common < held.length && common < prompt.length && held[common] == prompt[common]) {
            common++;
        }
        if (common == prompt.length) {
            common--; // evaluate at least the last token, for fresh logits
        }
        if (common < held.length) {
            session.truncate(common);
        }
        int[] suffix = java.util.Arrays.copyOfRange(prompt, common, prompt.length);
        lastTurn = new Turn(prompt.length, common, suffix.length);
        return suffix;
    }

    private int[] tokenize(String rendered) {
        int[] ids = tokenizer.encode(rendered, false, true);
        int bos = tokenizer.specialTokens().bos();
        if (tokenizer.addsBos() && bos >= 0 && (ids.length == 0 || ids[0] != bos)) {
            int[] with = new int[ids.length + 1];
            with[0] = bos;
            System.arraycopy(ids, 0, with, 1, ids.length);
            return with;
        }
        return ids;
    }

    /** The ChatML fallback's end of turn may be plain text in a vocabulary without it as a token. */
    private GenerateOptions withStops(GenerateOptions options) {
        if (!template.isFallback() || options.stop().contains("<|im_end|>")) {
            return options;
        }
        List<String> stops = new ArrayList<>(options.stop());
        stops.add("<|im_end|>");
        return options.withStop(stops);
    }
}
