package io.github.ggml4j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import io.github.ggml4j.grammar.Grammar;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import io.github.ggml4j.chat.ChatTemplate;
import io.github.ggml4j.chat.ToolCall;
import io.github.ggml4j.chat.ToolCalling;
import io.github.ggml4j.chat.ToolDefinition;
import io.github.ggml4j.chat.TemplateLimits;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.sampling.SamplingOptions;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.session.Token;
import io.github.ggml4j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The work behind both chat models: a request's messages rendered with the chat template, generated in a
 * session of its own (so concurrent requests share the engine's batched steps), the reply with its finish
 * reason and token usage.
 */
final class LocalChat implements AutoCloseable {

    static final int DEFAULT_MAX_TOKENS = 512;

    private final Model model;
    private final boolean owned;
    private final ChatTemplate template;
    private final String modelName;
    private final int contextSize;
    private final SamplingOptions sampling;
    private final Long seed;
    private final ChatRequestParameters defaults;
    private final boolean parallelToolCalls;

    private LocalChat(Model model, boolean owned, ChatTemplate template, String modelName, int contextSize,
                      SamplingOptions sampling, Long seed, ChatRequestParameters defaults, boolean parallelToolCalls) {
        this.parallelToolCalls = parallelToolCalls;
        this.model = model;
        this.owned = owned;
        this.template = template;
        this.modelName = modelName;
        this.contextSize = contextSize;
        this.sampling = sampling;
        this.seed = seed;
        this.defaults = defaults;
    }

    static LocalChat of(Ggml4jModelBuilder<?> b) {
        if ((b.model == null) == (b.modelPath == null)) {
            throw new IllegalArgumentException("give modelPath(...) or model(...), exactly one");
        }
        if (b.contextSize < 0) {
            throw new IllegalArgumentException("contextSize must be >= 0, got " + b.contextSize);
        }
        if (b.maxTokens != null && b.maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be >= 1, got " + b.maxTokens);
        }
        SamplingOptions s = SamplingOptions.defaults();
        if (b.minP != null) {
            s = s.withMinP(b.minP.floatValue());
        }
        if (b.repeatPenalty != null) {
            s = s.withPenalties(s.repeatLastN(), b.repeatPenalty.floatValue(), s.frequencyPenalty(),
                    s.presencePenalty());
        }
        DefaultChatRequestParameters.Builder<?> defaults = DefaultChatRequestParameters.builder()
                .temperature(b.temperature != null ? b.temperature : (double) s.temperature())
                .topP(b.topP != null ? b.topP : (double) s.topP())
                .topK(b.topK != null ? b.topK : s.topK())
                .frequencyPenalty(b.frequencyPenalty != null ? b.frequencyPenalty : (double) s.frequencyPenalty())
                .presencePenalty(b.presencePenalty != null ? b.presencePenalty : (double) s.presencePenalty())
                .maxOutputTokens(b.maxTokens != null ? b.maxTokens : DEFAULT_MAX_TOKENS)
                .stopSequences(b.stopSequences != null ? b.stopSequences : List.of());
        // every setting is checked now, not at the first request
        sampling(s, defaults.build(), 0);
        Model m = b.model;
        boolean owned = m == null;
        if (owned) {
            m = Model.load(b.modelPath, b.modelOptions != null ? b.modelOptions : ModelOptions.defaults());
        }
        try {
            ChatTemplate t = b.chatTemplate != null ? ChatTemplate.of(b.chatTemplate, m, TemplateLimits.DEFAULT)
                    : ChatTemplate.forModel(m);
            String name = b.modelName != null ? b.modelName : m.path().getFileName().toString();
            m.tokenizer(); // a model without a vocabulary cannot chat: fail at build time
            return new LocalChat(m, owned, t, name, b.contextSize, s, b.seed,
                    defaults.modelName(name).build(), b.parallelToolCalls);
        } catch (RuntimeException e) {
            if (owned) {
                m.close();
            }
            throw e;
        }
    }

    ChatRequestParameters defaults() {
        return defaults;
    }

    Model model() {
        return model;
    }

    ChatTemplate template() {
        return template;
    }

    /** What both chat models declare: {@link #chat} turns a JSON response format into a grammar. */
    static final java.util.Set<dev.langchain4j.model.chat.Capability> CAPABILITIES =
            java.util.Set.of(dev.langchain4j.model.chat.Capability.RESPONSE_FORMAT_JSON_SCHEMA);

    /** Generates the reply to {@code request}, passing each piece of text to {@code partial} (may be null). */
    ChatResponse chat(ChatRequest request, Consumer<String> partial) {
        ChatRequestParameters p = request.parameters();
        ToolCalling tools = toolCalling(p);
        int[] prompt = promptTokens(tools.render(Messages.convert(request.messages()), true));
        int maxTokens = p.maxOutputTokens() != null ? p.maxOutputTokens() : DEFAULT_MAX_TOKENS;
        List<String> stop = new ArrayList<>(p.stopSequences() == null ? List.of() : p.stopSequences());
        if (template.isFallback() && !stop.contains("<|im_end|>")) {
            stop.add("<|im_end|>");
        }
        long s = seed != null ? seed : ThreadLocalRandom.current().nextLong() & 0xffffffffL;
        GenerateOptions go = GenerateOptions.sampled(maxTokens, sampling(sampling, p, s)).withStop(stop);
        if (p.responseFormat() != null && p.responseFormat().type() == ResponseFormatType.JSON) {
            // JSON mode: the reply is constrained to the schema (to any JSON value without one) by a grammar
            var schema = p.responseFormat().jsonSchema();
            go = go.withGrammar(Grammar.jsonSchema(schema != null && schema.rootElement() != null
                    ? JsonSchemas.toJson(schema.rootElement()) : "{}"));
        }
        if (tools.active()) {
            // the tools' grammar: the whole reply when a call is required, from "<tool_call>" on otherwise
            go = go.withGrammar(tools.grammar().orElseThrow());
        }
        StringBuilder text = new StringBuilder();
        int generated = 0;
        io.github.ggml4j.session.FinishReason finish = io.github.ggml4j.session.FinishReason.CANCELLED;
        try (Session session = model.newSession(SessionOptions.defaults().withContextSize(contextSize)
                .withWaitWhenFull(true));
             Stream<Token> tokens = session.stream(prompt, go)) {
            for (var it = tokens.iterator(); it.hasNext(); ) {
                Token t = it.next();
                if (!t.isEnd()) {
                    generated++;
                } else {
                    finish = t.finishReason();
                }
                if (!t.text().isEmpty()) {
                    text.append(t.text());
                    if (partial != null) {
                        partial.accept(t.text());
                    }
                }
            }
        }
        ToolCalling.Reply reply = tools.parse(text.toString());
        AiMessage message;
        FinishReason reason = finishReason(finish);
        if (reply.calls().isEmpty()) {
            message = AiMessage.from(reply.content());
        } else {
            List<ToolExecutionRequest> calls = new ArrayList<>();
            for (ToolCall c : reply.calls()) {
                calls.add(ToolExecutionRequest.builder().id(c.id()).name(c.name()).arguments(c.arguments()).build());
            }
            message = reply.content().isEmpty() ? AiMessage.from(calls) : AiMessage.from(reply.content(), calls);
            reason = FinishReason.TOOL_EXECUTION;
        }
        return ChatResponse.builder().aiMessage(message).modelName(modelName)
                .tokenUsage(new TokenUsage(prompt.length, generated)).finishReason(reason).build();
    }

    /** The request's tools over the template (inactive when it has none, or tool choice NONE). */
    private ToolCalling toolCalling(ChatRequestParameters p) {
        List<ToolDefinition> defs = new ArrayList<>();
        if (p.toolSpecifications() != null) {
            for (ToolSpecification t : p.toolSpecifications()) {
                String params = t.parameters() != null ? JsonSchemas.toJson(t.parameters())
                        : "{\"type\":\"object\",\"properties\":{}}";
                defs.add(new ToolDefinition(t.name(), t.description() == null ? "" : t.description(), params));
            }
        }
        ToolCalling.Choice choice = p.toolChoice() == null || defs.isEmpty() ? ToolCalling.Choice.AUTO
                : switch (p.toolChoice()) {
                    case AUTO -> ToolCalling.Choice.AUTO;
                    case REQUIRED -> ToolCalling.Choice.REQUIRED;
                    case NONE -> ToolCalling.Choice.NONE;
                };
        try {
            return ToolCalling.of(template, defs, choice, parallelToolCalls);
        } catch (IllegalArgumentException e) {
            throw new dev.langchain4j.exception.InvalidRequestException("ggml4j: " + e.getMessage(), e);
        }
    }

    /** The tokens of a rendered conversation, with BOS when the vocabulary adds one and the template did not. */
    int[] promptTokens(String rendered) {
        Tokenizer tok = model.tokenizer();
        int[] ids = tok.encode(rendered, false, true);
        int bos = tok.specialTokens().bos();
        if (tok.addsBos() && bos >= 0 && (ids.length == 0 || ids[0] != bos)) {
            int[] with = new int[ids.length + 1];
            with[0] = bos;
            System.arraycopy(ids, 0, with, 1, ids.length);
            return with;
        }
        return ids;
    }

    static FinishReason finishReason(io.github.ggml4j.session.FinishReason f) {
        return switch (f) {
            case END_OF_GENERATION, STOP_STRING -> FinishReason.STOP;
            case MAX_TOKENS, CONTEXT_FULL -> FinishReason.LENGTH;
            case CANCELLED -> FinishReason.OTHER;
        };
    }

    private static SamplingOptions sampling(SamplingOptions base, ChatRequestParameters p, long seed) {
        SamplingOptions s = base.withSeed(seed);
        if (p.temperature() != null) {
            s = s.withTemperature(p.temperature().floatValue());
        }
        if (p.topP() != null) {
            s = s.withTopP(p.topP().floatValue());
        }
        if (p.topK() != null) {
            s = s.withTopK(p.topK());
        }
        float freq = p.frequencyPenalty() != null ? p.frequencyPenalty().floatValue() : s.frequencyPenalty();
        float pres = p.presencePenalty() != null ? p.presencePenalty().floatValue() : s.presencePenalty();
        return s.withPenalties(s.repeatLastN(), s.repeatPenalty(), freq, pres);
    }

    @Override
    public void close() {
        if (owned) {
            model.close();
        }
    }
}
