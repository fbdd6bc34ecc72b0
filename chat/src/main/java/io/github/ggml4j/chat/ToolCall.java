package io.github.ggml4j.chat;

import java.util.Objects;

/**
 * A call of a {@link ToolDefinition} the model made, or one a conversation records.
 *
 * @param id        the call's id, which the tool's result message names
 * @param name      the function
 * @param arguments its arguments, a JSON object as text
 */
public record ToolCall(String id, String name, String arguments) {

    public ToolCall {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(arguments, "arguments");
    }
}
