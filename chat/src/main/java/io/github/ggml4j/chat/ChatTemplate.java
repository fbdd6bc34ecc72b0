package io.github.ggml4j.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import io.github.ggml4j.ChatTemplateException;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.tokenizer.SpecialTokens;
import io.github.ggml4j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model's chat template: the GGUF's {@code tokenizer.chat_template} (Jinja, as Hugging Face writes it) rendered
 * by Jinjava in a locked-down sandbox, with the helpers Hugging Face templates use ({@code raise_exception},
 * {@code strftime_now}, {@code tojson}) and Python's string, list and dict methods. The template sees only the
 * data it is given; it cannot reach Java objects, files or the network, and its output, steps and time are
 * bounded by {@link TemplateLimits}. Anything it cannot do is a {@link ChatTemplateException} naming the feature.
 *
 * <p>Without a template in the file, {@link #forModel(Model)} uses the documented {@linkplain #chatMl() fallback},
 * ChatML ({@code <|im_start|>role\ncontent<|im_end|>\n}, then {@code <|im_start|>assistant\n}), as llama.cpp does.
 *
 * {@snippet :
 * ChatTemplate template = ChatTemplate.forModel(model);
 * String prompt = template.render(List.of(ChatMessage.user("Hello")), true);
 * }
 */
public final class ChatTemplate {

    /** Jinjava reports these as warnings and carries on; a chat prompt rendered past them would be wrong. */
    private static final java.util.Set<TemplateError.ErrorReason> FATAL_REASONS = java.util.EnumSet.of(
            TemplateError.ErrorReason.EXCEPTION, TemplateError.ErrorReason.DISABLED,
            TemplateError.ErrorReason.OUTPUT_TOO_BIG, TemplateError.ErrorReason.OVER_LIMIT,
            TemplateError.ErrorReason.COLLECTION_TOO_BIG, TemplateError.ErrorReason.SYNTAX_ERROR,
            TemplateError.ErrorReason.INVALID_ARGUMENT, TemplateError.ErrorReason.INVALID_INPUT);

    private final String source;
    private final String bosToken;
    private final String eosToken;
    private final TemplateLimits limits;
    private final String normalized;
    private final Jinjava jinjava;

    private ChatTemplate(String source, String bosToken, String eosToken, TemplateLimits limits) {
        this.source = source;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.limits = limits;
        this.normalized = source == null ? null : Whitespace.normalize(source);
        this.jinjava = source == null ? null : Sandbox.newJinjava(limits);
    }

    /** A Jinja template with empty {@code bos_token} and {@code eos_token} and the default limits. */
    public static ChatTemplate of(String source) {
        return of(source, "", "", TemplateLimits.DEFAULT);
    }

    public static ChatTemplate of(String source, String bosToken, String eosToken, TemplateLimits limits) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(bosToken, "bosToken");
        Objects.requireNonNull(eosToken, "eosToken");
        Objects.requireNonNull(limits, "limits");
        if (source.length() > limits.maxOutputChars()) {
            throw new ChatTemplateException("chat template is " + source.length() + " characters, over the limit of "
                    + limits.maxOutputChars());
        }
        return new ChatTemplate(source, bosToken, eosToken, limits);
    }

    /** The documented fallback format: ChatML. */
    public static ChatTemplate chatMl() {
        return new ChatTemplate(null, "", "", TemplateLimits.DEFAULT);
    }

    /**
     * The model file's template with its BOS and EOS token texts, or {@link #chatMl()} when the file has none.
     */
    public static ChatTemplate forModel(Model model) {
        return forModel(model, null, TemplateLimits.DEFAULT);
    }

    /**
     * The file's template named {@code name} ({@code tokenizer.chat_template.NAME}; null for the default one),
     * or {@link #chatMl()} when the file has no template.
     */
    public static ChatTemplate forModel(Model model, String name, TemplateLimits limits) {
        Objects.requireNonNull(model, "model");
        String src = model.chatTemplate(name).orElse(null);
        if (src == null) {
            if (name != null) {
                throw new ChatTemplateException(model.path().getFileName() + " has no chat template named " + name);
            }
            return chatMl();
        }
        return of(src, model, limits);
    }

    /** {@code source} with {@code model}'s BOS and EOS token texts (for a template given instead of the file's). */
    public static ChatTemplate of(String source, Model model, TemplateLimits limits) {
        String bos = "";
        String eos = "";
        if (model.hasTokenizer()) {
            Tokenizer t = model.tokenizer();
            SpecialTokens s = t.specialTokens();
            bos = s.bos() >= 0 ? t.tokenText(s.bos()) : "";
            eos = s.eos() >= 0 ? t.tokenText(s.eos()) : "";
        }
        return of(source, bos, eos, limits);
    }

    /** Whether this is the ChatML fallback rather than a Jinja template. */
    public boolean isFallback() {
        return source == null;
    }

    /** The Jinja source; empty for the fallback. */
    public String source() {
        return source == null ? "" : source;
    }

    /**
     * Renders a conversation the way llama.cpp passes it to a template: {@code messages} (each with {@code role}
     * and {@code content}), {@code bos_token}, {@code eos_token} and, when asked, {@code add_generation_prompt}.
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        Objects.requireNonNull(messages, "messages");
        if (source == null) {
            return renderChatMl(messages, addGenerationPrompt);
        }
        return render(messages, List.of(), addGenerationPrompt);
    }

    /**
     * As {@link #render(List, boolean)}, with the functions the model may call as the template's {@code tools}
     * (OpenAI's shape), and the messages' tool calls ({@code tool_calls}, arguments as objects) and tool results
     * ({@code tool} turns with {@code tool_call_id}). A template that knows no tools ignores them; see
     * {@link ToolCalling} for one that works with any template.
     */
    public String render(List<ChatMessage> messages, List<ToolDefinition> tools, boolean addGenerationPrompt) {
        Objects.requireNonNull(messages, "messages");
        Objects.requireNonNull(tools, "tools");
        if (source == null) {
            return renderChatMl(messages, addGenerationPrompt);
        }
        List<Object> list = new ArrayList<>();
        for (ChatMessage m : messages) {
            list.add(ToolCalling.messageMap(m));
        }
        Map<String, Object> globals = new LinkedHashMap<>();
        globals.put("messages", list);
        if (!tools.isEmpty()) {
            globals.put("tools", ToolCalling.toolMaps(tools));
        }
        globals.put("bos_token", bosToken);
        globals.put("eos_token", eosToken);
        if (addGenerationPrompt) {
            globals.put("add_generation_prompt", true);
        }
        return render(globals);
    }

    /**
     * Renders with arbitrary globals: strings, numbers, booleans, null, and lists and maps of them (tools,
     * {@code enable_thinking}, extra message fields). Any other Java type is refused.
     *
     * @throws ChatTemplateException if the template cannot be rendered; the message names the feature or limit
     */
    public String render(Map<String, ?> globals) {
        Objects.requireNonNull(globals, "globals");
        if (source == null) {
            throw new ChatTemplateException("the ChatML fallback renders messages only; use render(messages, ...)");
        }
        Map<String, Object> bindings = new LinkedHashMap<>();
        // templates test "strftime_now is defined" before calling it; Jinjava's functions are not variables
        bindings.put("strftime_now", "<function strftime_now>");
        bindings.put("raise_exception", "<function raise_exception>");
        globals.forEach((k, v) -> bindings.put(k, Values.toTemplate(v, 0)));
        Sandbox.Limits budget = Sandbox.begin(limits);
        RenderResult result;
        try {
            result = jinjava.renderForResult(normalized, bindings);
        } catch (Sandbox.Violation | Sandbox.Raised e) {
            throw failure(e);
        } catch (RuntimeException e) {
            if (budget.failure() != null) {
                throw failure(budget.failure());
            }
            throw new ChatTemplateException("chat template failed: " + e, e);
        } finally {
            Sandbox.end();
        }
        if (budget.failure() != null) {
            throw failure(budget.failure());
        }
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL || FATAL_REASONS.contains(e.getReason())) {
                throw new ChatTemplateException("chat template error at line " + e.getLineno() + ": "
                        + describe(e));
            }
        }
        return result.getOutput();
    }

    private static ChatTemplateException failure(RuntimeException e) {
        if (e instanceof Sandbox.Raised r) {
            return new ChatTemplateException("the chat template refused the conversation: " + r.getMessage());
        }
        return new ChatTemplateException("chat template stopped: " + e.getMessage());
    }

    private static String describe(TemplateError e) {
        String msg = e.getMessage();
        if (e.getItem() != null && e.getFieldName() != null && !e.getFieldName().isEmpty()) {
            return msg + " (" + e.getItem().name().toLowerCase(java.util.Locale.ROOT) + " '" + e.getFieldName()
                    + "')";
        }
        return msg;
    }

    private static String renderChatMl(List<ChatMessage> messages, boolean addGenerationPrompt) {
        StringBuilder b = new StringBuilder();
        for (ChatMessage m : messages) {
            b.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
        }
        if (addGenerationPrompt) {
            b.append("<|im_start|>assistant\n");
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return source == null ? "ChatTemplate[ChatML fallback]" : "ChatTemplate[" + source.length() + " chars]";
    }
}
