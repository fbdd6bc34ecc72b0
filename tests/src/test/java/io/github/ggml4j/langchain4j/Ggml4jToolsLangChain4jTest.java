package io.github.ggml4j.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import io.github.ggml4j.nativ.NativeLoader;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tool calling through LangChain4j on the tiny synthetic Llama: with a call required, the reply is a call of a
 * declared tool whose arguments satisfy its schema (the generic JSON format of a template without tools, and the
 * {@code <tool_call>} format of Qwen 2.5's template); an AI Service runs a real {@link Tool} method with the
 * model's arguments and answers after the tool's result.
 */
class Ggml4jToolsLangChain4jTest {

    static final ToolSpecification WEATHER = ToolSpecification.builder().name("get_weather")
            .description("The weather in a city").parameters(JsonObjectSchema.builder()
                    .addEnumProperty("city", List.of("Paris", "Rome", "Oslo")).required("city").build())
            .build();

    static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(Parity.TINY.cached(), ModelOptions.defaults().withThreads(2).withContextSize(2048)
                .withCachedPrompts(0));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ChatML fallback (generic)", "Qwen-Qwen2.5-7B-Instruct.jinja"})
    void aRequiredCallIsAValidCallOfADeclaredTool(String template) throws Exception {
        Ggml4jChatModel.Builder b = Ggml4jChatModel.builder().model(model).temperature(0.0).maxTokens(64)
                .contextSize(1024);
        if (template.endsWith(".jinja")) {
            b.chatTemplate(Files.readString(NativeLoader.ensureLoaded().llamaSourceDir().orElseThrow().resolve("models/templates").resolve(template)));
        }
        try (Ggml4jChatModel chat = b.build()) {
            ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from("Weather in Rome?"))
                    .toolSpecifications(WEATHER).toolChoice(ToolChoice.REQUIRED).build());
            assertEquals(FinishReason.TOOL_EXECUTION, r.finishReason(), r.toString());
            List<ToolExecutionRequest> calls = r.aiMessage().toolExecutionRequests();
            assertEquals(1, calls.size(), r.toString());
            assertEquals("get_weather", calls.getFirst().name());
            JsonNode args = new ObjectMapper().readTree(calls.getFirst().arguments());
            assertTrue(List.of("Paris", "Rome", "Oslo").contains(args.path("city").asText()), args.toString());
            assertEquals(1, args.size(), "no other arguments: " + args);
            assertTrue(calls.getFirst().id().startsWith("call_"));
        }
    }

    interface Assistant {
        String chat(String message);
    }

    enum City { PARIS, ROME, OSLO }

    static final class WeatherTools {
        final List<String> cities = new ArrayList<>();

        // an enum parameter: its schema is an enum, so the grammar keeps the call short and complete
        @Tool("The weather in a city")
        String weather(@P("the city") City city) {
            cities.add(city.name());
            return "sunny in " + city;
        }
    }

    @Test
    void anAiServiceRunsAToolWithTheModelsArguments() throws Exception {
        WeatherTools tools = new WeatherTools();
        List<List<ChatMessage>> seen = new ArrayList<>();
        try (Ggml4jChatModel chat = Ggml4jChatModel.builder().model(model).temperature(0.0).maxTokens(64)
                .contextSize(1024).build()) {
            // the policy a real application leaves to the model, fixed here so random weights take both paths:
            // a call first, then a text answer after the tool's result
            ChatModel policy = new ChatModel() {
                @Override
                public ChatResponse doChat(ChatRequest request) {
                    seen.add(request.messages());
                    boolean answered = request.messages().getLast() instanceof ToolExecutionResultMessage;
                    ChatRequestParameters p = request.parameters().overrideWith(ChatRequestParameters.builder()
                            .toolChoice(answered ? ToolChoice.NONE : ToolChoice.REQUIRED).build());
                    return chat.doChat(ChatRequest.builder().messages(request.messages()).parameters(p).build());
                }
            };
            Assistant a = AiServices.builder(Assistant.class).chatModel(policy).tools(tools).build();
            String answer = a.chat("What is the weather in Oslo?");
            assertTrue(answer != null, "an answer");
        }
        assertEquals(1, tools.cities.size(), "the tool ran once");
        assertEquals(2, seen.size(), "a call, then the answer");
        // the tool got the argument the model wrote
        AiMessage call = (AiMessage) seen.get(1).get(seen.get(1).size() - 2);
        JsonNode args = new ObjectMapper().readTree(call.toolExecutionRequests().getFirst().arguments());
        assertEquals(args.elements().next().asText(), tools.cities.getFirst(), args.toString());
        ToolExecutionResultMessage result = (ToolExecutionResultMessage) seen.get(1).getLast();
        assertEquals("sunny in " + tools.cities.getFirst(), result.text());
    }
}
