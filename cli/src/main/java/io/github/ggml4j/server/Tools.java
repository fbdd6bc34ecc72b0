package io.github.ggml4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.ggml4j.chat.ToolCall;
import io.github.ggml4j.chat.ToolCalling;
import io.github.ggml4j.chat.ToolDefinition;

import java.util.ArrayList;
import java.util.List;

/** The tool fields of a chat request ({@code tools}, {@code tool_choice}, {@code tool_calls}), checked. */
final class Tools {

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();

    private Tools() {
    }

    /** {@code tools}: OpenAI's {@code {"type": "function", "function": {name, description, parameters}}} entries. */
    static List<ToolDefinition> definitions(JsonNode tools) {
        if (tools == null || tools.isNull()) {
            return List.of();
        }
        if (!tools.isArray()) {
            throw ApiError.badRequest("tools", "'tools' must be an array");
        }
        List<ToolDefinition> out = new ArrayList<>();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode t = tools.get(i);
            String param = "tools[" + i + "]";
            if (!"function".equals(t.path("type").asText()) || !t.path("function").isObject()) {
                throw ApiError.badRequest(param, param + " must be {\"type\": \"function\", \"function\": {...}}");
            }
            JsonNode f = t.get("function");
            JsonNode params = f.path("parameters");
            if (!params.isMissingNode() && !params.isNull() && !params.isObject()) {
                throw ApiError.badRequest(param + ".function.parameters", "'parameters' must be a JSON schema object");
            }
            try {
                out.add(new ToolDefinition(f.path("name").asText(""), f.path("description").asText(""),
                        params.isObject() ? params.toString() : "{\"type\":\"object\",\"properties\":{}}"));
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest(param + ".function", e.getMessage());
            }
        }
        if (out.stream().map(ToolDefinition::name).distinct().count() != out.size()) {
            throw ApiError.badRequest("tools", "two tools share a name");
        }
        return out;
    }

    /** {@code tool_choice}: "auto" (default), "none", "required", or one named function (required). */
    static ToolCalling.Choice choice(JsonNode c, List<ToolDefinition> tools) {
        if (c == null || c.isNull()) {
            return ToolCalling.Choice.AUTO;
        }
        ToolCalling.Choice choice;
        if (c.isTextual()) {
            choice = switch (c.asText()) {
                case "auto" -> ToolCalling.Choice.AUTO;
                case "none" -> ToolCalling.Choice.NONE;
                case "required" -> ToolCalling.Choice.REQUIRED;
                default -> throw ApiError.badRequest("tool_choice", "'tool_choice' must be auto, none, required or a "
                        + "function, not '" + c.asText() + "'");
            };
        } else if (c.isObject() && c.path("function").path("name").isTextual()) {
            String name = c.path("function").path("name").asText();
            if (tools.stream().noneMatch(t -> t.name().equals(name))) {
                throw ApiError.badRequest("tool_choice", "'tool_choice' names '" + name + "', which is not in 'tools'");
            }
            choice = ToolCalling.Choice.REQUIRED;
        } else {
            throw ApiError.badRequest("tool_choice", "'tool_choice' must be a string or {\"type\": \"function\", "
                    + "\"function\": {\"name\": ...}}");
        }
        if (choice == ToolCalling.Choice.REQUIRED && tools.isEmpty()) {
            throw ApiError.badRequest("tool_choice", "a tool call is required but 'tools' is empty");
        }
        return choice;
    }

    /** An assistant message's {@code tool_calls}; arguments are a JSON string (or an object). */
    static List<ToolCall> calls(JsonNode calls, String param) {
        if (!calls.isArray()) {
            throw ApiError.badRequest(param, param + " must be an array");
        }
        List<ToolCall> out = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            JsonNode c = calls.get(i);
            JsonNode f = c.path("function");
            if (!f.path("name").isTextual()) {
                throw ApiError.badRequest(param + "[" + i + "]", "a tool call needs function.name");
            }
            JsonNode args = f.path("arguments");
            String json = args.isTextual() ? args.asText() : args.isObject() ? args.toString() : "{}";
            try {
                if (!JSON.readTree(json).isObject()) {
                    throw ApiError.badRequest(param + "[" + i + "].function.arguments", "arguments must be a JSON object");
                }
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw ApiError.badRequest(param + "[" + i + "].function.arguments", "arguments are not JSON: "
                        + e.getOriginalMessage());
            }
            out.add(new ToolCall(c.path("id").asText("call_" + i), f.get("name").asText(), json));
        }
        return out;
    }
}
