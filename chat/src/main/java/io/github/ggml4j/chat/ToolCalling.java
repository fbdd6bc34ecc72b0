package io.github.ggml4j.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.ggml4j.grammar.Grammar;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Function calling over a chat template, in the two ways llama.cpp's chat layer does it:
 * <ul>
 *   <li>{@link Format#HERMES}: a template that renders {@code tools} itself and asks for
 *       {@code <tool_call>{"name": ..., "arguments": ...}</tool_call>} (Hermes 2/3, Qwen 2.5 and 3, QwQ and
 *       others). In {@link Choice#AUTO} mode the grammar is lazy: free text until the model writes
 *       {@code <tool_call>}, then a call that matches one tool's schema.</li>
 *   <li>{@link Format#GENERIC}: any other template. A system message describes the tools and the reply is JSON,
 *       {@code {"tool_calls": [...]}} or {@code {"response": "..."}}, constrained by a grammar; tool turns and
 *       calls are rendered as JSON text the template can show.</li>
 * </ul>
 *
 * {@snippet :
 * ToolCalling tc = ToolCalling.of(template, List.of(weather), ToolCalling.Choice.AUTO, false);
 * String prompt = tc.render(conversation, true);
 * Generation g = session.generate(prompt, GenerateOptions.defaults().withGrammar(tc.grammar().orElseThrow()));
 * ToolCalling.Reply reply = tc.parse(g.text()); // reply.calls() are the tools to run
 * }
 */
public final class ToolCalling {

    /** How the model is asked for calls and writes them. */
    public enum Format { HERMES, GENERIC }

    /** Whether the model may ({@code AUTO}), must ({@code REQUIRED}) or must not ({@code NONE}) call a tool. */
    public enum Choice { AUTO, REQUIRED, NONE }

    /** A parsed reply: its text (without the calls) and the calls. */
    public record Reply(String content, List<ToolCall> calls) {
        public Reply {
            Objects.requireNonNull(content, "content");
            calls = List.copyOf(calls);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern HERMES_CALL = Pattern.compile("<tool_call>\\s*(\\{.*?\\})\\s*</tool_call>",
            Pattern.DOTALL);

    private final ChatTemplate template;
    private final List<ToolDefinition> tools;
    private final Choice choice;
    private final boolean parallel;
    private final Format format;

    private ToolCalling(ChatTemplate template, List<ToolDefinition> tools, Choice choice, boolean parallel) {
        this.template = template;
        this.tools = List.copyOf(tools);
        this.choice = choice;
        this.parallel = parallel;
        this.format = formatOf(template);
    }

    /**
     * Tool calling with {@code tools} over {@code template}.
     *
     * @param parallel whether one reply may call several tools
     * @throws IllegalArgumentException if two tools share a name, a tool's parameters are not JSON, or
     *                                  {@code REQUIRED} is asked with no tools
     */
    public static ToolCalling of(ChatTemplate template, List<ToolDefinition> tools, Choice choice, boolean parallel) {
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(choice, "choice");
        if (tools.stream().map(ToolDefinition::name).distinct().count() != tools.size()) {
            throw new IllegalArgumentException("two tools share a name");
        }
        for (ToolDefinition t : tools) {
            parseObject(t.parameters(), "the parameters of tool " + t.name());
        }
        if (choice == Choice.REQUIRED && tools.isEmpty()) {
            throw new IllegalArgumentException("a tool call is required but no tools are given");
        }
        return new ToolCalling(template, tools, choice, parallel);
    }

    /** HERMES for a template that writes {@code <tool_call>} JSON blocks, else GENERIC. */
    public static Format formatOf(ChatTemplate template) {
        String src = template.source();
        return src.contains("<tool_call>") && src.contains("tools") && !src.contains("<function=")
                ? Format.HERMES : Format.GENERIC;
    }

    public Format format() {
        return format;
    }

    /** Whether tools are in play (some given, and the choice is not NONE). */
    public boolean active() {
        return !tools.isEmpty() && choice != Choice.NONE;
    }

    /** The prompt of a conversation, with the tools described as this format does it. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        if (!active()) {
            return template.render(messages.stream().map(ToolCalling::asText).toList(), addGenerationPrompt);
        }
        if (format == Format.HERMES) {
            return template.render(messages, tools, addGenerationPrompt);
        }
        List<ChatMessage> out = new ArrayList<>();
        String instructions = genericInstructions();
        boolean merged = false;
        for (ChatMessage m : messages) {
            if (!merged && m.role().equals("system")) {
                out.add(ChatMessage.system(m.content() + "\n\n" + instructions));
                merged = true;
            } else {
                out.add(asText(m));
            }
        }
        if (!merged) {
            out.addFirst(ChatMessage.system(instructions));
        }
        return template.render(out, addGenerationPrompt);
    }

    /**
     * The grammar the reply must follow: lazy for HERMES in AUTO mode (triggered by {@code <tool_call>}), the
     * whole reply otherwise; empty when tools are not in play.
     */
    public Optional<Grammar> grammar() {
        if (!active()) {
            return Optional.empty();
        }
        ArrayNode calls = JSON.createArrayNode();
        for (ToolDefinition t : tools) {
            ObjectNode call = calls.addObject().put("type", "object");
            ObjectNode props = call.putObject("properties");
            props.putObject("name").put("const", t.name());
            props.set("arguments", parseObject(t.parameters(), t.name()));
            call.putArray("required").add("name").add("arguments");
            call.put("additionalProperties", false);
        }
        ObjectNode one = JSON.createObjectNode();
        one.set("anyOf", calls);
        if (format == Format.HERMES) {
            String gbnf = Grammar.jsonSchema(one.toString()).text()
                    + "\ntool-call ::= \"<tool_call>\" tool-ws root tool-ws \"</tool_call>\"\n"
                    + "tool-ws ::= ( \" \" | \"\\n\" )?\n" // bounded: a small model could loop on whitespace
                    + "tool-calls ::= tool-call" + (parallel ? " ( tool-ws tool-call )*" : "") + "\n";
            Grammar g = Grammar.gbnf(gbnf, "tool-calls");
            return Optional.of(choice == Choice.AUTO ? g.withTriggerWords("<tool_call>") : g);
        }
        ObjectNode withCalls = JSON.createObjectNode().put("type", "object");
        ObjectNode list = withCalls.putObject("properties").putObject("tool_calls").put("type", "array");
        list.set("items", one);
        list.put("minItems", 1);
        if (!parallel) {
            list.put("maxItems", 1);
        }
        withCalls.putArray("required").add("tool_calls");
        withCalls.put("additionalProperties", false);
        if (choice == Choice.REQUIRED) {
            return Optional.of(Grammar.jsonSchema(withCalls.toString()));
        }
        ObjectNode response = JSON.createObjectNode().put("type", "object");
        response.putObject("properties").putObject("response").put("type", "string");
        response.putArray("required").add("response");
        response.put("additionalProperties", false);
        ObjectNode either = JSON.createObjectNode();
        either.putArray("anyOf").add(withCalls).add(response);
        return Optional.of(Grammar.jsonSchema(either.toString()));
    }

    /** The calls in a reply, and its text without them; a malformed call stays in the text. */
    public Reply parse(String text) {
        Objects.requireNonNull(text, "text");
        if (!active()) {
            return new Reply(text, List.of());
        }
        List<ToolCall> calls = new ArrayList<>();
        if (format == Format.HERMES) {
            StringBuilder rest = new StringBuilder();
            Matcher m = HERMES_CALL.matcher(text);
            int last = 0;
            while (m.find()) {
                Optional<ToolCall> c = call(m.group(1));
                if (c.isPresent()) {
                    calls.add(c.get());
                    rest.append(text, last, m.start());
                    last = m.end();
                }
            }
            rest.append(text.substring(last));
            return new Reply(rest.toString().strip(), calls);
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return new Reply(text, List.of());
        }
        if (root != null && root.path("tool_calls").isArray()) {
            for (JsonNode c : root.path("tool_calls")) {
                call(c.toString()).ifPresent(calls::add);
            }
            return new Reply("", calls);
        }
        if (root != null && root.path("response").isTextual()) {
            return new Reply(root.path("response").asText(), List.of());
        }
        return new Reply(text, List.of());
    }

    private Optional<ToolCall> call(String json) {
        try {
            JsonNode c = JSON.readTree(json);
            String name = c.path("name").asText(null);
            JsonNode args = c.path("arguments");
            if (name == null || tools.stream().noneMatch(t -> t.name().equals(name)) || !args.isObject()) {
                return Optional.empty();
            }
            String id = c.path("id").isTextual() ? c.path("id").asText() : newId();
            return Optional.of(new ToolCall(id, name, args.toString()));
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }

    /** An id like OpenAI's: {@code call_} and 24 letters and digits. */
    static String newId() {
        String abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        StringBuilder sb = new StringBuilder("call_");
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int i = 0; i < 24; i++) {
            sb.append(abc.charAt(r.nextInt(abc.length())));
        }
        return sb.toString();
    }

    private String genericInstructions() {
        ArrayNode defs = JSON.createArrayNode();
        for (Object t : toolMaps(tools)) {
            defs.add(JSON.valueToTree(t));
        }
        String schema = grammarSchemaHint();
        return "You can call these tools:\n" + defs.toPrettyString() + "\n\nRespond in JSON format, either with "
                + "`tool_calls` (a request to call tools) or with `response` (your reply to the user's request)"
                + (choice == Choice.REQUIRED ? "; here you must call a tool" : "") + ". " + schema;
    }

    private String grammarSchemaHint() {
        return "A call is {\"tool_calls\": [{\"name\": NAME, \"arguments\": {...}}]}; a reply is "
                + "{\"response\": TEXT}.";
    }

    /** GENERIC: a turn with tool calls or a tool result as JSON text any template can show. */
    private static ChatMessage asText(ChatMessage m) {
        if (!m.toolCalls().isEmpty()) {
            ObjectNode o = JSON.createObjectNode();
            ArrayNode a = o.putArray("tool_calls");
            for (ToolCall c : m.toolCalls()) {
                a.addObject().put("name", c.name()).put("id", c.id()).set("arguments", parseObject(c.arguments(),
                        "the arguments of call " + c.id()));
            }
            return ChatMessage.assistant(o.toString());
        }
        if (m.role().equals("tool")) {
            ObjectNode o = JSON.createObjectNode();
            ObjectNode r = o.putObject("tool_response");
            r.put("tool_call_id", m.toolCallId());
            if (m.name() != null) {
                r.put("tool", m.name());
            }
            r.put("content", m.content());
            return ChatMessage.user(o.toString());
        }
        return m;
    }

    // ---- template data -----------------------------------------------------------------------------------

    /** A message as templates read it: role, content, and tool_calls / tool_call_id / name when set. */
    static Map<String, Object> messageMap(ChatMessage m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("role", m.role());
        out.put("content", m.content());
        if (!m.toolCalls().isEmpty()) {
            List<Object> calls = new ArrayList<>();
            for (ToolCall c : m.toolCalls()) {
                Map<String, Object> fn = new LinkedHashMap<>();
                fn.put("name", c.name());
                fn.put("arguments", JSON.convertValue(parseObject(c.arguments(), "the arguments of call " + c.id()),
                        Map.class));
                Map<String, Object> call = new LinkedHashMap<>();
                call.put("id", c.id());
                call.put("type", "function");
                call.put("function", fn);
                calls.add(call);
            }
            out.put("tool_calls", calls);
        }
        if (m.toolCallId() != null) {
            out.put("tool_call_id", m.toolCallId());
        }
        if (m.name() != null) {
            out.put("name", m.name());
        }
        return out;
    }

    /** Tools in OpenAI's shape, parameters as objects. */
    static List<Object> toolMaps(List<ToolDefinition> tools) {
        List<Object> out = new ArrayList<>();
        for (ToolDefinition t : tools) {
            Map<String, Object> fn = new LinkedHashMap<>();
            fn.put("name", t.name());
            fn.put("description", t.description());
            fn.put("parameters", JSON.convertValue(parseObject(t.parameters(), "the parameters of tool " + t.name()),
                    Map.class));
            Map<String, Object> tool = new LinkedHashMap<>();
            tool.put("type", "function");
            tool.put("function", fn);
            out.add(tool);
        }
        return out;
    }

    private static ObjectNode parseObject(String json, String what) {
        try {
            JsonNode n = JSON.readTree(json);
            if (n instanceof ObjectNode o) {
                return o;
            }
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + " are not valid JSON: " + e.getOriginalMessage(), e);
        }
        throw new IllegalArgumentException(what + " must be a JSON object");
    }
}
