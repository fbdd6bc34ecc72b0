package io.github.ggml4j.chat;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A function the model may call, as OpenAI's {@code tools} entries define one.
 *
 * {@snippet :
 * ToolDefinition weather = new ToolDefinition("get_weather", "The weather in a city",
 *         "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}");
 * }
 *
 * @param name        the function's name: 1 to 64 letters, digits, {@code _} or {@code -}
 * @param description what it does, for the model (may be empty)
 * @param parameters  a JSON Schema of its arguments (an object schema), as JSON text
 */
public record ToolDefinition(String name, String description, String parameters) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    public ToolDefinition {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(parameters, "parameters");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("tool name '" + name + "' must be 1 to 64 letters, digits, _ or -");
        }
        if (!parameters.strip().startsWith("{")) {
            throw new IllegalArgumentException("the parameters of tool " + name + " must be a JSON object schema");
        }
    }
}
