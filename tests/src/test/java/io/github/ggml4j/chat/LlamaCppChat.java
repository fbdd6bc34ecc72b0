package io.github.ggml4j.chat;

import io.github.ggml4j.nativ.NativeLoader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * llama.cpp's own chat-template rendering: runs {@code ggml4j-chat-ref} (native/reference/ggml4j-chat-ref.cpp over
 * the pinned tree's Jinja engine). The harness is built with the natives, so a missing binary fails the test.
 */
final class LlamaCppChat {

    /** The rendered text, or the error when llama.cpp refused the template or conversation. */
    record Rendered(String text, String error) {
        boolean ok() {
            return error == null;
        }
    }

    private LlamaCppChat() {
    }

    static Path templatesDir() {
        Path tree = NativeLoader.ensureLoaded().llamaSourceDir().orElseThrow(() -> new AssertionError(
                "ggml4j-natives.properties names no llama.source.dir"));
        return tree.resolve("models/templates");
    }

    static Rendered render(Path template, List<ChatMessage> messages, String bos, String eos,
                           boolean addGenerationPrompt) {
        return renderJson(template, json(messages, bos, eos, addGenerationPrompt));
    }

    /** Renders {@code template} with the globals of a JSON object (messages, tools, bos_token, ...). */
    static Rendered renderJson(Path template, String globals) {
        Path bin = NativeLoader.ensureLoaded().extraBinDir().orElseThrow().resolve("ggml4j-chat-ref");
        if (!Files.isExecutable(bin)) {
            throw new AssertionError("chat-template reference " + bin + " is missing; rebuild the natives");
        }
        try {
            Path input = Files.createTempFile("ggml4j-chat-", ".json");
            try {
                Files.writeString(input, globals);
                Process p = new ProcessBuilder(bin.toString(), template.toString(), input.toString()).start();
                byte[] out = p.getInputStream().readAllBytes();
                byte[] err = p.getErrorStream().readAllBytes();
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("ggml4j-chat-ref timed out on " + template);
                }
                if (p.exitValue() == 2) {
                    throw new AssertionError("ggml4j-chat-ref usage error: " + new String(err, StandardCharsets.UTF_8));
                }
                return p.exitValue() == 0 ? new Rendered(new String(out, StandardCharsets.UTF_8), null)
                        : new Rendered(null, new String(err, StandardCharsets.UTF_8).strip());
            } finally {
                Files.deleteIfExists(input);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static String json(List<ChatMessage> messages, String bos, String eos, boolean gen) {
        StringBuilder b = new StringBuilder("{\"messages\": [");
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            b.append(i == 0 ? "" : ", ").append("{\"role\": ").append(quote(m.role())).append(", \"content\": ")
                    .append(quote(m.content())).append('}');
        }
        b.append("], \"bos_token\": ").append(quote(bos)).append(", \"eos_token\": ").append(quote(eos));
        if (gen) {
            b.append(", \"add_generation_prompt\": true");
        }
        return b.append('}').toString();
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    static Map<String, List<ChatMessage>> conversations() {
        return Map.of(
                "system+user", List.of(ChatMessage.system("You are a helpful assistant."),
                        ChatMessage.user("What is the capital of France?")),
                "multi-turn", List.of(ChatMessage.user("Hello!"), ChatMessage.assistant("Hi there. How can I help?"),
                        ChatMessage.user("Tell me a joke about\ncats, please.")),
                "system+multi-turn", List.of(ChatMessage.system("Answer briefly."), ChatMessage.user("2+2?"),
                        ChatMessage.assistant("4"), ChatMessage.user("Und 3·3? \"quoted\" 日本語")));
    }
}
