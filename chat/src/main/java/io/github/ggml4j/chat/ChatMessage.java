package io.github.ggml4j.chat;

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
 * @param role    {@code system}, {@code user}, {@code assistant} or another role the template knows
 * @param content the text
 */
public record ChatMessage(String role, String content) {

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        if (role.isBlank()) {
            throw new IllegalArgumentException("role must not be blank");
        }
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
