package io.github.ggml4j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;

import io.github.ggml4j.chat.ToolCall;

import java.util.ArrayList;
import java.util.List;

/** LangChain4j's messages as ggml4j chat messages: text, tool calls and tool results (images are refused). */
final class Messages {

    private Messages() {
    }

    static List<io.github.ggml4j.chat.ChatMessage> convert(Iterable<ChatMessage> messages) {
        List<io.github.ggml4j.chat.ChatMessage> out = new ArrayList<>();
        for (ChatMessage m : messages) {
            out.add(convert(m));
        }
        return out;
    }

    static io.github.ggml4j.chat.ChatMessage convert(ChatMessage m) {
        return switch (m) {
            case SystemMessage s -> io.github.ggml4j.chat.ChatMessage.system(s.text());
            case UserMessage u -> io.github.ggml4j.chat.ChatMessage.user(text(u));
            case AiMessage a -> {
                String text = a.text() == null ? "" : a.text();
                if (!a.hasToolExecutionRequests()) {
                    yield io.github.ggml4j.chat.ChatMessage.assistant(text);
                }
                List<ToolCall> calls = new ArrayList<>();
                for (var r : a.toolExecutionRequests()) {
                    calls.add(new ToolCall(r.id() == null ? "call_" + calls.size() : r.id(), r.name(),
                            r.arguments() == null || r.arguments().isBlank() ? "{}" : r.arguments()));
                }
                yield io.github.ggml4j.chat.ChatMessage.assistant(text, calls);
            }
            case ToolExecutionResultMessage t -> io.github.ggml4j.chat.ChatMessage.tool(
                    t.id() == null ? "" : t.id(), t.toolName(), t.text() == null ? "" : t.text());
            default -> throw new UnsupportedFeatureException("ggml4j: " + m.type() + " messages are not supported yet");
        };
    }

    private static String text(UserMessage u) {
        StringBuilder b = new StringBuilder();
        for (Content c : u.contents()) {
            if (!(c instanceof TextContent t)) {
                throw new UnsupportedFeatureException("ggml4j: only text content is supported, not " + c.type());
            }
            b.append(t.text());
        }
        return b.toString();
    }
}
