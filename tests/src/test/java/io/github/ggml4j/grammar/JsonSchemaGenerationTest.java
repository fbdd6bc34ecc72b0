package io.github.ggml4j.grammar;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.sampling.SamplingOptions;
import io.github.ggml4j.session.FinishReason;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.testing.SyntheticLlama;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Generation under {@link Grammar#jsonSchema} on a synthetic Llama (random weights, so the grammar does all the
 * work), sampling at temperature 1 with several seeds: every output ends where the grammar is complete, parses as
 * JSON, and validates against its schema with networknt's JSON Schema validator (draft 2020-12); llama.cpp's
 * grammar sampler accepts the same tokens under the same grammar and finds them complete.
 */
class JsonSchemaGenerationTest {

    private static final int SEEDS = 4;
    private static final int MAX_TOKENS = 400;

    static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(Parity.TINY.cached(), ModelOptions.defaults().withThreads(2).withContextSize(512));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // a record: bounded strings, integer ranges, enums, formats, a pattern, a nested object, optional fields
        """
        {"type": "object", "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 6},
            "age": {"type": "integer", "minimum": 0, "maximum": 150},
            "tags": {"type": "array", "items": {"enum": ["red", "green", "blue"]}, "minItems": 1, "maxItems": 3},
            "code": {"type": "string", "pattern": "^[A-Z]{2}-[0-9]{3}$"},
            "when": {"type": "string", "format": "date"},
            "id": {"type": "string", "format": "uuid"},
            "kind": {"const": "sample"},
            "ok": {"type": "boolean"},
            "delta": {"type": "integer", "exclusiveMinimum": -5, "maximum": 5},
            "at": {"type": "object", "properties": {"x": {"type": "integer", "minimum": -20, "maximum": 20},
                "y": {"type": "null"}}, "required": ["x"], "additionalProperties": false}},
         "required": ["name", "age", "tags", "code", "at"], "additionalProperties": false}""",
        // $ref/$defs and anyOf, a nullable type array, a tuple
        """
        {"type": "object", "properties": {
            "point": {"$ref": "#/$defs/point"},
            "maybe": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/point"}]},
            "label": {"type": ["string", "null"], "maxLength": 4},
            "pair": {"type": "array", "prefixItems": [{"type": "boolean"}, {"enum": [1, 2, 3]}]}},
         "required": ["point", "maybe", "pair"], "additionalProperties": false,
         "$defs": {"point": {"type": "object", "properties": {"v": {"type": "integer", "minimum": 10, "maximum": 99}},
            "required": ["v"], "additionalProperties": false}}}""",
        // allOf merging objects, with optional members and a bounded list of small objects
        """
        {"allOf": [
            {"type": "object", "properties": {"a": {"type": "integer", "minimum": 1, "maximum": 9}}},
            {"type": "object", "properties": {"b": {"type": "array", "maxItems": 2,
                "items": {"type": "object", "properties": {"c": {"enum": ["x", "y"]}}, "required": ["c"],
                "additionalProperties": false}}}}]}"""
    })
    void generatedJsonValidatesAgainstTheSchema(String schemaText) {
        Grammar grammar = Grammar.jsonSchema(schemaText);
        Schema schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schemaText);
        var mapper = JsonMapper.builder().build();
        List<int[]> outputs = new ArrayList<>();
        for (long seed = 1; seed <= SEEDS; seed++) {
            GenerateOptions o = GenerateOptions.sampled(MAX_TOKENS, SamplingOptions.defaults().withTemperature(1)
                    .withSeed(seed)).withGrammar(grammar);
            Generation out;
            try (Session s = model.newSession(SessionOptions.defaults().withContextSize(512))) {
                out = s.generate("Describe it as JSON:", o);
            }
            String text = out.text();
            assertEquals(FinishReason.END_OF_GENERATION, out.finishReason(),
                    "seed " + seed + " did not complete the JSON within " + MAX_TOKENS + " tokens: " + text);
            assertTrue(grammar.matches(text), "seed " + seed + ": our grammar refuses " + text);
            mapper.readTree(text); // throws unless it is JSON
            List<Error> errors = schema.validate(text, InputFormat.JSON);
            assertTrue(errors.isEmpty(), "seed " + seed + ": " + text + " does not validate: " + errors);
            outputs.add(out.tokens());
            System.out.println("seed " + seed + ": " + text.replace("\n", "\\n"));
        }
        // the validator can say no: a document of the wrong type fails
        assertTrue(!schema.validate("[1, \"two\"]", InputFormat.JSON).isEmpty(), "validator accepts anything");
        Path vocab = SyntheticLlama.vocabPath(Parity.TINY.vocab());
        List<String> ref = LlamaCppGrammar.run("check", vocab, grammar.text(), outputs);
        assertEquals(List.of("ok complete", "ok complete", "ok complete", "ok complete").subList(0, SEEDS), ref,
                "llama.cpp's grammar sampler on the same tokens");
    }
}
