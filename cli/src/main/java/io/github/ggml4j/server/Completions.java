package io.github.ggml4j.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.ggml4j.chat.ToolCall;
import io.github.ggml4j.chat.ToolCalling;
import io.github.ggml4j.chat.ChatTemplate;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.session.FinishReason;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.session.Token;
import io.github.ggml4j.tokenizer.Tokenizer;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Runs one completion request in its own session of the shared model and writes the answer: one JSON object,
 * or server-sent events ({@code data: {...}} chunks, then {@code data: [DONE]}). A client that goes away is
 * noticed at the next write; its generation stops and its session and slot are freed. A non-streamed answer
 * that takes longer than a second commits its headers and sends a space (JSON allows leading white space)
 * every half second, so a vanished client is noticed there too.
 */
final class Completions {

    private static final long HEARTBEAT_AFTER_NANOS = 1_000_000_000L;
    private static final long HEARTBEAT_EVERY_NANOS = 500_000_000L;
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final Model model;
    private final ChatTemplate template;
    private final ServerOptions options;
    private final ObjectMapper json;
    private final AtomicInteger sessions = new AtomicInteger();
    private final AtomicLong disconnects = new AtomicLong();
    private final AtomicLong completionTokens = new AtomicLong();

    Completions(Model model, ChatTemplate template, ServerOptions options, ObjectMapper json) {
        this.model = model;
        this.template = template;
        this.options = options;
        this.json = json;
    }

    int openSessions() {
        return sessions.get();
    }

    long disconnects() {
        return disconnects.get();
    }

    long completionTokens() {
        return completionTokens.get();
    }

    /** The prompt's tokens; a prompt that cannot be tokenized or does not fit a slot is a 400. */
    int[] promptTokens(CompletionRequest r, ToolCalling tools) {
        Tokenizer tok = model.tokenizer();
        int[] ids;
        if (r.chat()) {
            ids = tok.encode(tools.render(r.messages(), true), false, true);
            int bos = tok.specialTokens().bos();
            if (tok.addsBos() && bos >= 0 && (ids.length == 0 || ids[0] != bos)) {
                int[] with = new int[ids.length + 1];
                with[0] = bos;
                System.arraycopy(ids, 0, with, 1, ids.length);
                ids = with;
            }
        } else if (r.prompt() != null) {
            ids = tok.encode(r.prompt(), true, true);
        } else {
            ids = r.promptTokens();
            for (int id : ids) {
                if (id < 0 || id >= tok.vocabSize()) {
                    throw ApiError.badRequest("prompt", "token id " + id + " is outside the vocabulary [0, "
                            + tok.vocabSize() + ")");
                }
            }
        }
        if (ids.length == 0) {
            throw ApiError.badRequest(r.chat() ? "messages" : "prompt", "the prompt has no tokens");
        }
        if (ids.length >= options.slotContext()) {
            throw new ApiError(400, "invalid_request_error", "context_length_exceeded", r.chat() ? "messages" : "prompt",
                    "the prompt has " + ids.length + " tokens but a request's context holds " + options.slotContext()
                            + " (prompt and completion)");
        }
        return ids;
    }

    GenerateOptions generateOptions(CompletionRequest r, ToolCalling tc) {
        List<String> stop = new ArrayList<>(r.stop());
        if (r.chat() && template.isFallback() && !stop.contains("<|im_end|>")) {
            stop.add("<|im_end|>"); // the ChatML fallback's end of turn may be plain text in the vocabulary
        }
        GenerateOptions go = GenerateOptions.sampled(r.maxTokens(), r.sampling()).withStop(stop);
        if (tc.active()) {
            return go.withGrammar(tc.grammar().orElseThrow()); // the calls follow the tools' schemas
        }
        return r.grammar() != null ? go.withGrammar(r.grammar()) : go;
    }

    /** The request's tools over the template; inactive without tools or with tool_choice none. */
    ToolCalling toolCalling(CompletionRequest r) {
        return ToolCalling.of(template, r.tools(), r.toolChoice(), r.parallelToolCalls());
    }

    /** Generates and answers; frees {@code slot} (held by the caller) once the answer is out. */
    void run(HttpExchange ex, CompletionRequest r, ToolCalling tools, int[] prompt, Slots.Slot slot)
            throws IOException {
        GenerateOptions go = generateOptions(r, tools);
        String id = (r.chat() ? "chatcmpl-" : "cmpl-") + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        long created = System.currentTimeMillis() / 1000;
        Answer answer = new Answer(ex, r, id, created, prompt.length, tools);
        sessions.incrementAndGet();
        try (Session s = model.newSession(SessionOptions.defaults().withContextSize(options.slotContext())
                .withWaitWhenFull(true));
             Stream<Token> tokens = s.stream(prompt, go)) {
            answer.begin();
            boolean first = true;
            for (var it = tokens.iterator(); it.hasNext(); ) {
                Token t = it.next();
                if (first) {
                    first = false;
                    answer.cachedTokens = s.reusedTokens(); // the prompt's, until the next token is asked for
                }
                if (t.isEnd()) {
                    answer.end(t.text(), t.finishReason());
                    slot.close(); // the answer is out: the next request may start while this session closes
                    break;
                }
                answer.token(t.text());
            }
        } catch (ClientGone e) {
            disconnects.incrementAndGet();
        } finally {
            sessions.decrementAndGet();
            completionTokens.addAndGet(answer.generated);
        }
    }

    static String finishReason(FinishReason f) {
        return switch (f) {
            case END_OF_GENERATION, STOP_STRING -> "stop";
            case MAX_TOKENS, CONTEXT_FULL -> "length";
            case CANCELLED -> "cancelled";
        };
    }

    /** The client closed the connection: stop generating. */
    private static final class ClientGone extends RuntimeException {
        ClientGone(IOException cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }

    /** One request's answer, streamed or collected. */
    private final class Answer {
        private final HttpExchange ex;
        private final CompletionRequest r;
        private final String id;
        private final long created;
        private final int promptTokens;
        private final ToolCalling tools;
        private final StringBuilder text = new StringBuilder();
        private final long start = System.nanoTime();
        private OutputStream out;
        private long lastBeat;
        int generated;
        int cachedTokens;

        Answer(HttpExchange ex, CompletionRequest r, String id, long created, int promptTokens, ToolCalling tools) {
            this.tools = tools;
            this.ex = ex;
            this.r = r;
            this.id = id;
            this.created = created;
            this.promptTokens = promptTokens;
        }

        void begin() {
            if (!r.stream()) {
                return;
            }
            ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            write(() -> {
                ex.sendResponseHeaders(200, 0);
                out = ex.getResponseBody();
            });
            if (r.chat()) {
                ObjectNode delta = json.createObjectNode().put("role", "assistant").put("content", "");
                event(chunk(delta, null));
            }
        }

        void token(String piece) {
            generated++;
            if (!r.stream() || tools.active()) { // with tools the reply is parsed whole, then sent
                text.append(piece);
                if (!r.stream()) {
                    heartbeat();
                }
            } else if (!piece.isEmpty()) {
                event(chunk(piece(piece), null));
            }
        }

        void end(String rest, FinishReason reason) {
            String finish = finishReason(reason);
            if (!r.stream()) {
                text.append(rest);
                finishWhole(finish);
                return;
            }
            if (tools.active()) {
                text.append(rest);
                ToolCalling.Reply reply = tools.parse(text.toString());
                if (!reply.content().isEmpty()) {
                    event(chunk(piece(reply.content()), null));
                }
                if (!reply.calls().isEmpty()) {
                    ObjectNode delta = json.createObjectNode();
                    ArrayNode calls = toolCalls(reply);
                    for (int i = 0; i < calls.size(); i++) {
                        ((ObjectNode) calls.get(i)).put("index", i);
                    }
                    delta.set("tool_calls", calls);
                    event(chunk(delta, null));
                    finish = "tool_calls";
                }
            } else if (!rest.isEmpty()) {
                event(chunk(piece(rest), null));
            }
            event(chunk(r.chat() ? json.createObjectNode() : null, finish));
            if (r.includeUsage()) {
                ObjectNode u = base(r.chat() ? "chat.completion.chunk" : "text_completion");
                u.putArray("choices");
                u.set("usage", usage());
                event(u);
            }
            write(() -> {
                out.write(DONE);
                out.flush();
            });
            done();
        }

        private ObjectNode piece(String s) {
            return r.chat() ? json.createObjectNode().put("content", s) : json.createObjectNode().put("text", s);
        }

        /** A streamed chunk: a chat delta or a completion's text, and the finish reason on the last one. */
        private ObjectNode chunk(ObjectNode content, String finish) {
            ObjectNode c = base(r.chat() ? "chat.completion.chunk" : "text_completion");
            ObjectNode choice = c.putArray("choices").addObject().put("index", 0);
            if (r.chat()) {
                choice.set("delta", content);
            } else {
                choice.put("text", content == null ? "" : content.path("text").asText());
            }
            choice.putNull("logprobs");
            if (finish == null) {
                choice.putNull("finish_reason");
            } else {
                choice.put("finish_reason", finish);
            }
            return c;
        }

        private void finishWhole(String finish) {
            ObjectNode o = base(r.chat() ? "chat.completion" : "text_completion");
            ObjectNode choice = o.putArray("choices").addObject().put("index", 0);
            if (r.chat() && tools.active()) {
                ToolCalling.Reply reply = tools.parse(text.toString());
                ObjectNode m = choice.putObject("message").put("role", "assistant");
                if (reply.calls().isEmpty()) {
                    m.put("content", reply.content());
                } else {
                    if (reply.content().isEmpty()) {
                        m.putNull("content");
                    } else {
                        m.put("content", reply.content());
                    }
                    m.set("tool_calls", toolCalls(reply));
                    finish = "tool_calls";
                }
            } else if (r.chat()) {
                choice.putObject("message").put("role", "assistant").put("content", text.toString());
            } else {
                choice.put("text", text.toString());
            }
            choice.putNull("logprobs");
            choice.put("finish_reason", finish);
            o.set("usage", usage());
            byte[] body = bytes(o);
            write(() -> {
                if (out == null) {
                    ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
                    ex.sendResponseHeaders(200, body.length);
                    out = ex.getResponseBody();
                }
                out.write(body);
                out.flush();
            });
            done();
        }

        /**
         * Ends the exchange as soon as the answer is out, not when the session has closed: the server reads the
         * connection's next request only then, and a client's next request made the step after the next.
         */
        private void done() {
            ex.close();
        }

        /** OpenAI's {@code tool_calls}: id, type and the function with its arguments as a JSON string. */
        private ArrayNode toolCalls(ToolCalling.Reply reply) {
            ArrayNode a = json.createArrayNode();
            for (ToolCall c : reply.calls()) {
                ObjectNode o = a.addObject().put("id", c.id()).put("type", "function");
                o.putObject("function").put("name", c.name()).put("arguments", c.arguments());
            }
            return a;
        }

        private ObjectNode usage() {
            ObjectNode u = json.createObjectNode().put("prompt_tokens", promptTokens).put("completion_tokens", generated)
                    .put("total_tokens", promptTokens + generated);
            u.putObject("prompt_tokens_details").put("cached_tokens", cachedTokens); // OpenAI's: not computed again
            return u;
        }

        private ObjectNode base(String object) {
            return json.createObjectNode().put("id", id).put("object", object).put("created", created)
                    .put("model", options.modelId());
        }

        private void heartbeat() {
            long now = System.nanoTime();
            if (now - start < HEARTBEAT_AFTER_NANOS || now - lastBeat < HEARTBEAT_EVERY_NANOS) {
                return;
            }
            lastBeat = now;
            write(() -> {
                if (out == null) {
                    ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
                    ex.sendResponseHeaders(200, 0);
                    out = ex.getResponseBody();
                }
                out.write(' ');
                out.flush();
            });
        }

        private void event(ObjectNode o) {
            byte[] data = bytes(o);
            write(() -> {
                out.write("data: ".getBytes(StandardCharsets.US_ASCII));
                out.write(data);
                out.write("\n\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            });
        }

        private byte[] bytes(ObjectNode o) {
            try {
                return json.writeValueAsBytes(o);
            } catch (IOException e) {
                throw new IllegalStateException("cannot write JSON", e);
            }
        }

        private void write(IoAction a) {
            try {
                a.run();
            } catch (IOException e) {
                throw new ClientGone(e);
            }
        }
    }

    @FunctionalInterface
    private interface IoAction {
        void run() throws IOException;
    }
}
