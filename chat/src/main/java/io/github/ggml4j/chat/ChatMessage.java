package io.github.ggml4j.chat;

import java.util.List;
import java.util.Objects;

/**
 * One turn of a conversation.
 *
 * {@snippet :
 * List<ChatMessage> conversation = List.of(
 *         ChatMessage.system("You are terse."),
 *         ChatMessage.user("Name a prime."));
 * }
 *
 * @param role       {@code system}, {@code user}, {@code assistant}, {@code tool} or another role the template knows
 * @param content    the text
 * @param toolCalls  the tools an assistant turn called (empty for other turns)
 * @param toolCallId for a {@code tool} turn, the id of the call it answers; else null
 * @param name       for a {@code tool} turn, the function that answered; else null
 */
public record ChatMessage(String role, String content, List<ToolCall> toolCalls, String toolCallId, String name) {

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        toolCalls = List.copyOf(toolCalls);
        if (role.isBlank()) {
            throw new IllegalArgumentException("role must not be blank");
        }
        if (!toolCalls.isEmpty() && !role.equals("assistant")) {
            throw new IllegalArgumentException("only an assistant turn calls tools, not a " + role + " turn");
        }
    }

    /** A turn of text. */
    public ChatMessage(String role, String content) {
        this(role, content, List.of(), null, null);
    }

    /** An assistant turn that calls tools (its text may be empty). */
    public static ChatMessage assistant(String content, List<ToolCall> calls) {
        return new ChatMessage("assistant", content, calls, null, null);
    }

    /** A tool's result, answering the call {@code toolCallId} of the function {@code name}. */
    public static ChatMessage tool(String toolCallId, String name, String content) {
        return new ChatMessage("tool", content, List.of(), Objects.requireNonNull(toolCallId, "toolCallId"), name);
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
