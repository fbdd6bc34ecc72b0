package io.github.ggml4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.ggml4j.chat.ChatMessage;
import io.github.ggml4j.chat.ToolCalling;
import io.github.ggml4j.chat.ToolDefinition;
import io.github.ggml4j.grammar.Grammar;
import io.github.ggml4j.grammar.GrammarException;
import io.github.ggml4j.sampling.SamplingOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A parsed {@code /v1/completions} or {@code /v1/chat/completions} body. Every field is checked here, so a bad
 * one is a 400 naming it before any slot is taken; fields OpenAI clients send that do not change the answer
 * ({@code user}, {@code metadata} ...) are ignored.
 *
 * @param chat         a chat request ({@code messages}) rather than a text completion ({@code prompt})
 * @param messages     the conversation (chat only)
 * @param prompt       the prompt text, or null when given as token ids (completions only)
 * @param promptTokens the prompt as token ids, or null
 * @param maxTokens    the most tokens to generate
 * @param stream       answer with server-sent events
 * @param includeUsage send a usage chunk before {@code [DONE]} ({@code stream_options.include_usage})
 * @param sampling     how tokens are chosen
 * @param stop         stop strings
 * @param grammar      what the output must match ({@code response_format} JSON mode), or null
 * @param tools        the functions the model may call ({@code tools}, chat only)
 * @param toolChoice   {@code tool_choice}: auto, required (also for one named function) or none
 * @param parallelToolCalls whether a reply may call several tools ({@code parallel_tool_calls}, default false as
 *                     llama-server has it)
 */
record CompletionRequest(boolean chat, List<ChatMessage> messages, String prompt, int[] promptTokens, int maxTokens,
                         boolean stream, boolean includeUsage, SamplingOptions sampling, List<String> stop,
                         Grammar grammar, List<ToolDefinition> tools, ToolCalling.Choice toolChoice,
                         boolean parallelToolCalls) {

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    CompletionRequest {
        messages = List.copyOf(messages);
        stop = List.copyOf(stop);
        tools = List.copyOf(tools);
        Objects.requireNonNull(toolChoice, "toolChoice");
        Objects.requireNonNull(sampling, "sampling");
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be >= 1");
        }
        if (chat == messages.isEmpty() || !chat && (prompt == null) == (promptTokens == null)) {
            throw new IllegalArgumentException("a chat request has messages, a completion a prompt");
        }
    }

    /** Parses a body; any problem is an {@link ApiError} (400, or 404 for another model). */
    static CompletionRequest parse(JsonNode body, boolean chat, ServerOptions options) {
        if (body == null || !body.isObject()) {
            throw ApiError.badRequest(null, "the request body must be a JSON object");
        }
        JsonNode model = body.get("model");
        if (model != null && !model.isNull()) {
            if (!model.isTextual()) {
                throw ApiError.badRequest("model", "'model' must be a string");
            }
            if (!model.asText().equals(options.modelId())) {
                throw new ApiError(404, "invalid_request_error", "model_not_found", "model",
                        "the model '" + model.asText() + "' does not exist; this server serves '"
                                + options.modelId() + "'");
            }
        }
        int n = intField(body, "n", 1, 1, 1 << 20);
        if (n != 1) {
            throw ApiError.badRequest("n", "'n' must be 1: one choice per request");
        }
        unsupported(body);
        String maxName = chat && body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        int maxTokens = intField(body, maxName, options.maxTokens(), 1, Integer.MAX_VALUE);
        if (maxTokens > options.maxTokens()) {
            throw ApiError.badRequest(maxName, "'" + maxName + "' is " + maxTokens + " but this server allows at most "
                    + options.maxTokens() + " tokens a request");
        }
        boolean stream = boolField(body, "stream", false);
        boolean includeUsage = false;
        JsonNode so = body.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!so.isObject()) {
                throw ApiError.badRequest("stream_options", "'stream_options' must be an object");
            }
            includeUsage = boolField(so, "include_usage", false);
        }
        SamplingOptions sampling = sampling(body, options.sampling());
        List<String> stop = stop(body.get("stop"));
        Grammar grammar = responseFormat(body.get("response_format"));
        if (chat) {
            List<ToolDefinition> tools = Tools.definitions(body.get("tools"));
            ToolCalling.Choice choice = Tools.choice(body.get("tool_choice"), tools);
            if (choice == ToolCalling.Choice.REQUIRED && body.path("tool_choice").isObject()) {
                String only = body.path("tool_choice").path("function").path("name").asText();
                tools = tools.stream().filter(t -> t.name().equals(only)).toList();
            }
            return new CompletionRequest(true, messages(body.get("messages")), null, null, maxTokens, stream,
                    includeUsage, sampling, stop, grammar, tools, choice, boolField(body, "parallel_tool_calls", false));
        }
        if (body.has("tools") && !body.get("tools").isNull()) {
            throw ApiError.badRequest("tools", "'tools' belongs to /v1/chat/completions");
        }
        JsonNode p = body.get("prompt");
        if (p != null && p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
            p = p.get(0);
        }
        if (p == null || p.isNull()) {
            throw ApiError.badRequest("prompt", "'prompt' is required");
        }
        if (p.isTextual()) {
            return new CompletionRequest(false, List.of(), p.asText(), null, maxTokens, stream, includeUsage,
                    sampling, stop, grammar, List.of(), ToolCalling.Choice.AUTO, false);
        }
        if (p.isArray() && !p.isEmpty()) {
            int[] ids = new int[p.size()];
            for (int i = 0; i < ids.length; i++) {
                if (!p.get(i).canConvertToInt() || !p.get(i).isIntegralNumber()) {
                    throw ApiError.badRequest("prompt", "'prompt' must be a string, one string, or token ids");
                }
                ids[i] = p.get(i).intValue();
            }
            return new CompletionRequest(false, List.of(), null, ids, maxTokens, stream, includeUsage, sampling,
                    stop, grammar, List.of(), ToolCalling.Choice.AUTO, false);
        }
        throw ApiError.badRequest("prompt", "'prompt' must be a string, one string, or a non-empty array of token ids");
    }

    /** Features this server does not have yet: refused rather than silently ignored. */
    private static void unsupported(JsonNode body) {
        JsonNode lp = body.get("logprobs");
        if (lp != null && !lp.isNull() && !(lp.isBoolean() && !lp.asBoolean())) {
            throw ApiError.badRequest("logprobs", "logprobs are not supported by this server yet");
        }
        if (boolField(body, "echo", false)) {
            throw ApiError.badRequest("echo", "'echo' is not supported");
        }
        JsonNode suffix = body.get("suffix");
        if (suffix != null && !suffix.isNull() && !suffix.asText().isEmpty()) {
            throw ApiError.badRequest("suffix", "'suffix' is not supported");
        }
    }

    /**
     * JSON mode, as llama-server reads {@code response_format}: {@code text} (or none) is free text;
     * {@code json_object} is any JSON value matching its optional {@code schema} (any JSON without one);
     * {@code json_schema} matches {@code json_schema.schema}. The schema becomes a grammar through
     * {@link Grammar#jsonSchema}; one it cannot convert is a 400 naming the problem.
     */
    static Grammar responseFormat(JsonNode rf) {
        if (rf == null || rf.isNull()) {
            return null;
        }
        if (!rf.isObject() || !rf.path("type").isTextual()) {
            throw ApiError.badRequest("response_format", "'response_format' must be an object with a 'type'");
        }
        JsonNode schema = switch (rf.path("type").asText()) {
            case "text" -> null;
            case "json_object" -> rf.has("schema") ? rf.get("schema") : EMPTY_SCHEMA;
            case "json_schema" -> {
                JsonNode wrapper = rf.get("json_schema");
                if (wrapper != null && !wrapper.isNull() && !wrapper.isObject()) {
                    throw ApiError.badRequest("response_format", "'response_format.json_schema' must be an object");
                }
                yield wrapper != null && wrapper.has("schema") ? wrapper.get("schema") : EMPTY_SCHEMA;
            }
            default -> throw ApiError.badRequest("response_format", "response_format type '" + rf.path("type").asText()
                    + "' is not one of text, json_object, json_schema");
        };
        if (schema == null) {
            return null;
        }
        if (!schema.isObject() && !schema.isBoolean()) {
            throw ApiError.badRequest("response_format", "the JSON schema must be an object");
        }
        try {
            return Grammar.jsonSchema(schema.toString());
        } catch (GrammarException e) {
            throw ApiError.badRequest("response_format", "the JSON schema cannot be used: " + e.getMessage());
        }
    }

    private static final JsonNode EMPTY_SCHEMA = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();

    private static SamplingOptions sampling(JsonNode body, SamplingOptions base) {
        SamplingOptions s = base;
        try {
            if (has(body, "temperature")) {
                s = s.withTemperature(floatField(body, "temperature", 0, 100));
            }
            if (has(body, "top_p")) {
                s = s.withTopP(floatField(body, "top_p", 0, 1));
            }
            if (has(body, "top_k")) {
                s = s.withTopK(intField(body, "top_k", 0, 0, Integer.MAX_VALUE));
            }
            if (has(body, "min_p")) {
                s = s.withMinP(floatField(body, "min_p", 0, 1));
            }
            float presence = has(body, "presence_penalty") ? floatField(body, "presence_penalty", -2, 2)
                    : s.presencePenalty();
            float frequency = has(body, "frequency_penalty") ? floatField(body, "frequency_penalty", -2, 2)
                    : s.frequencyPenalty();
            float repeat = has(body, "repeat_penalty") ? floatField(body, "repeat_penalty", 0, 100)
                    : s.repeatPenalty();
            s = s.withPenalties(s.repeatLastN(), repeat, frequency, presence);
            s = s.withSeed(has(body, "seed") ? longField(body, "seed")
                    : ThreadLocalRandom.current().nextLong() & 0xffffffffL);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(null, "sampling parameters: " + e.getMessage());
        }
        return s;
    }

    private static List<ChatMessage> messages(JsonNode node) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw ApiError.badRequest("messages", "'messages' must be a non-empty array");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            String param = "messages[" + i + "]";
            if (!m.isObject() || !m.path("role").isTextual()) {
                throw ApiError.badRequest(param, param + " must be an object with a string 'role'");
            }
            String role = m.get("role").asText();
            if (!ROLES.contains(role)) {
                throw ApiError.badRequest(param + ".role", "role '" + role + "' is not supported (system, developer, "
                        + "user, assistant, tool)");
            }
            String text = content(m.get("content"), param);
            if (role.equals("tool")) {
                if (!m.path("tool_call_id").isTextual()) {
                    throw ApiError.badRequest(param + ".tool_call_id", "a tool message needs a string 'tool_call_id'");
                }
                out.add(ChatMessage.tool(m.get("tool_call_id").asText(), m.path("name").asText(null), text));
            } else if (role.equals("assistant") && m.has("tool_calls") && !m.get("tool_calls").isNull()) {
                out.add(ChatMessage.assistant(text, Tools.calls(m.get("tool_calls"), param + ".tool_calls")));
            } else {
                out.add(new ChatMessage(role.equals("developer") ? "system" : role, text));
            }
        }
        return out;
    }

    private static String content(JsonNode c, String param) {
        if (c == null || c.isNull()) {
            return "";
        }
        if (c.isTextual()) {
            return c.asText();
        }
        if (c.isArray()) {
            StringBuilder b = new StringBuilder();
            for (JsonNode part : c) {
                if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiError.badRequest(param + ".content", "only text content parts are supported");
                }
                b.append(part.get("text").asText());
            }
            return b.toString();
        }
        throw ApiError.badRequest(param + ".content", "'content' must be a string or an array of text parts");
    }

    private static List<String> stop(JsonNode node) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (node.isTextual()) {
            out.add(node.asText());
        } else if (node.isArray() && node.size() <= 16) {
            for (JsonNode s : node) {
                if (!s.isTextual()) {
                    throw ApiError.badRequest("stop", "'stop' must be a string or an array of strings");
                }
                out.add(s.asText());
            }
        } else {
            throw ApiError.badRequest("stop", "'stop' must be a string or an array of at most 16 strings");
        }
        if (out.stream().anyMatch(String::isEmpty)) {
            throw ApiError.badRequest("stop", "stop strings must not be empty");
        }
        return out;
    }

    private static boolean has(JsonNode body, String name) {
        JsonNode v = body.get(name);
        return v != null && !v.isNull();
    }

    private static int intField(JsonNode body, String name, int absent, int min, int max) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < min || v.longValue() > max) {
            throw ApiError.badRequest(name, "'" + name + "' must be an integer in " + min + ".." + max);
        }
        return v.intValue();
    }

    private static long longField(JsonNode body, String name) {
        JsonNode v = body.get(name);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiError.badRequest(name, "'" + name + "' must be an integer");
        }
        return v.longValue();
    }

    private static float floatField(JsonNode body, String name, float min, float max) {
        JsonNode v = body.get(name);
        if (!v.isNumber() || !(v.doubleValue() >= min && v.doubleValue() <= max)) {
            throw ApiError.badRequest(name, "'" + name + "' must be a number in " + min + ".." + max);
        }
        return v.floatValue();
    }

    private static boolean boolField(JsonNode body, String name, boolean absent) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isBoolean()) {
            throw ApiError.badRequest(name, "'" + name + "' must be true or false");
        }
        return v.booleanValue();
    }
}
