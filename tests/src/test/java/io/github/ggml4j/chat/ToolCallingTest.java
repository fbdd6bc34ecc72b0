package io.github.ggml4j.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.ggml4j.grammar.Grammar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Function calling over chat templates: a Hermes-style template of the pinned tree renders tools, calls and
 * results exactly as llama.cpp's Jinja engine renders the same OpenAI-shaped data; the grammars accept the calls
 * the tools' schemas allow and nothing else; replies parse into calls.
 */
class ToolCallingTest {

    static final ToolDefinition WEATHER = new ToolDefinition("get_weather", "The weather in a city",
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"enum\":[\"Paris\",\"Rome\"]}},"
                    + "\"required\":[\"city\"],\"additionalProperties\":false}");
    static final ToolDefinition TIME = new ToolDefinition("get_time", "The time now",
            "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}");

    static final List<ChatMessage> CONVERSATION = List.of(
            ChatMessage.system("You are a helpful assistant."),
            ChatMessage.user("What's the weather in Paris?"),
            ChatMessage.assistant("", List.of(new ToolCall("call_1", "get_weather", "{\"city\":\"Paris\"}"))),
            ChatMessage.tool("call_1", "get_weather", "sunny, 21 C"),
            ChatMessage.user("And the time?"));

    /** The same conversation and tools as OpenAI's JSON, written here by hand (not by the code under test). */
    static final String GLOBALS = """
            {"messages": [
              {"role": "system", "content": "You are a helpful assistant."},
              {"role": "user", "content": "What's the weather in Paris?"},
              {"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
              {"role": "tool", "content": "sunny, 21 C", "tool_call_id": "call_1", "name": "get_weather"},
              {"role": "user", "content": "And the time?"}],
             "tools": [
              {"type": "function", "function": {"name": "get_weather", "description": "The weather in a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string", "enum": ["Paris", "Rome"]}},
                  "required": ["city"], "additionalProperties": false}}},
              {"type": "function", "function": {"name": "get_time", "description": "The time now",
                "parameters": {"type": "object", "properties": {}, "additionalProperties": false}}}],
             "bos_token": "", "eos_token": "<|im_end|>", "add_generation_prompt": true}
            """;

    static ChatTemplate template(String file) throws Exception {
        return ChatTemplate.of(Files.readString(LlamaCppChat.templatesDir().resolve(file)), "", "<|im_end|>",
                TemplateLimits.DEFAULT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Qwen-Qwen2.5-7B-Instruct.jinja", "Qwen-Qwen3-0.6B.jinja", "Qwen-QwQ-32B.jinja",
            "NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja", "NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja"})
    void hermesTemplatesRenderToolsLikeLlamaCpp(String file) throws Exception {
        ChatTemplate t = template(file);
        ToolCalling tc = ToolCalling.of(t, List.of(WEATHER, TIME), ToolCalling.Choice.AUTO, false);
        assertEquals(ToolCalling.Format.HERMES, tc.format(), file);
        String ours = tc.render(CONVERSATION, true);
        LlamaCppChat.Rendered ref = LlamaCppChat.renderJson(LlamaCppChat.templatesDir().resolve(file), GLOBALS);
        assertTrue(ref.ok(), ref.error());
        assertEquals(ref.text(), ours, file);
        assertTrue(ours.contains("get_weather") && ours.contains("sunny, 21 C"), ours);
    }

    @Test
    void aTemplateWithoutToolsGetsTheGenericFormat() throws Exception {
        ChatTemplate t = template("microsoft-Phi-3.5-mini-instruct.jinja");
        ToolCalling tc = ToolCalling.of(t, List.of(WEATHER), ToolCalling.Choice.AUTO, false);
        assertEquals(ToolCalling.Format.GENERIC, tc.format());
        String prompt = tc.render(List.of(ChatMessage.user("Weather in Rome?")), true);
        assertTrue(prompt.contains("get_weather") && prompt.contains("tool_calls"), prompt);
        // the ChatML fallback too
        String chatMl = ToolCalling.of(ChatTemplate.chatMl(), List.of(WEATHER), ToolCalling.Choice.AUTO, false)
                .render(CONVERSATION, true);
        assertTrue(chatMl.contains("{\"tool_response\":{\"tool_call_id\":\"call_1\""), chatMl);
        assertTrue(chatMl.contains("{\"tool_calls\":[{\"name\":\"get_weather\",\"id\":\"call_1\""), chatMl);
    }

    @Test
    void hermesGrammarAcceptsOnlyCallsTheSchemasAllow() throws Exception {
        ChatTemplate t = template("Qwen-Qwen2.5-7B-Instruct.jinja");
        Grammar required = ToolCalling.of(t, List.of(WEATHER, TIME), ToolCalling.Choice.REQUIRED, false).grammar()
                .orElseThrow();
        assertFalse(required.isLazy());
        assertTrue(required.matches("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"));
        assertTrue(required.matches("<tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call>"));
        assertFalse(required.matches("<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}</tool_call>"));
        assertFalse(required.matches("<tool_call>{\"name\": \"rm_rf\", \"arguments\": {}}</tool_call>"));
        assertFalse(required.matches("<tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call>"
                + "<tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call>"), "one call unless parallel");
        Grammar parallel = ToolCalling.of(t, List.of(TIME), ToolCalling.Choice.REQUIRED, true).grammar().orElseThrow();
        assertTrue(parallel.matches("<tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call>\n"
                + "<tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call>"));
        Grammar auto = ToolCalling.of(t, List.of(WEATHER), ToolCalling.Choice.AUTO, false).grammar().orElseThrow();
        assertTrue(auto.isLazy(), "free text until <tool_call>");
        assertTrue(ToolCalling.of(t, List.of(WEATHER), ToolCalling.Choice.NONE, false).grammar().isEmpty());
    }

    @Test
    void genericGrammarIsJsonWithCallsOrAResponse() {
        ToolCalling auto = ToolCalling.of(ChatTemplate.chatMl(), List.of(WEATHER), ToolCalling.Choice.AUTO, false);
        Grammar g = auto.grammar().orElseThrow();
        assertTrue(g.matches("{\"tool_calls\": [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}]}"));
        assertTrue(g.matches("{\"response\": \"It is sunny.\"}"));
        assertFalse(g.matches("It is sunny."));
        Grammar req = ToolCalling.of(ChatTemplate.chatMl(), List.of(WEATHER), ToolCalling.Choice.REQUIRED, false)
                .grammar().orElseThrow();
        assertFalse(req.matches("{\"response\": \"It is sunny.\"}"));
    }

    @Test
    void repliesParseIntoCalls() throws Exception {
        ToolCalling hermes = ToolCalling.of(template("Qwen-Qwen2.5-7B-Instruct.jinja"), List.of(WEATHER, TIME),
                ToolCalling.Choice.AUTO, true);
        ToolCalling.Reply r = hermes.parse("Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
                + "{\"city\": \"Rome\"}}\n</tool_call>\n<tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call>");
        assertEquals("Let me check.", r.content());
        assertEquals(2, r.calls().size());
        assertEquals("get_weather", r.calls().get(0).name());
        assertEquals(Map.of("city", "Rome"), new ObjectMapper().readValue(r.calls().get(0).arguments(), Map.class));
        assertTrue(r.calls().get(0).id().matches("call_[A-Za-z0-9]{24}"));
        assertEquals(0, hermes.parse("<tool_call>{\"name\": \"unknown\", \"arguments\": {}}</tool_call>").calls().size(),
                "a call of an unknown tool stays text");
        ToolCalling generic = ToolCalling.of(ChatTemplate.chatMl(), List.of(WEATHER), ToolCalling.Choice.AUTO, false);
        assertEquals("hello", generic.parse("{\"response\": \"hello\"}").content());
        assertEquals("get_weather", generic.parse("{\"tool_calls\": [{\"name\": \"get_weather\", \"arguments\": "
                + "{\"city\": \"Paris\"}}]}").calls().getFirst().name());
    }

    @Test
    void badToolsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ToolDefinition("bad name", "", "{}"));
        assertThrows(IllegalArgumentException.class, () -> new ToolDefinition("f", "", "[1]"));
        assertThrows(IllegalArgumentException.class, () -> ToolCalling.of(ChatTemplate.chatMl(),
                List.of(new ToolDefinition("f", "", "{not json")), ToolCalling.Choice.AUTO, false));
        assertThrows(IllegalArgumentException.class, () -> ToolCalling.of(ChatTemplate.chatMl(), List.of(WEATHER,
                WEATHER), ToolCalling.Choice.AUTO, false));
        assertThrows(IllegalArgumentException.class, () -> ToolCalling.of(ChatTemplate.chatMl(), List.of(),
                ToolCalling.Choice.REQUIRED, false));
        assertThrows(IllegalArgumentException.class,
                () -> new ChatMessage("user", "x", List.of(new ToolCall("1", "f", "{}")), null, null));
    }
}
