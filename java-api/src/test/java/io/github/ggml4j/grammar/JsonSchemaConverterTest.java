package io.github.ggml4j.grammar;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every case of llama.cpp's {@code tests/test-json-schema-to-grammar.cpp} (ported as data, see
 * {@link JsonSchemaCases}): a success case must give the expected grammar byte for byte (one line per rule, each
 * ending in a line break), a failure case a {@link GrammarException}.
 */
class JsonSchemaConverterTest {

    static Stream<JsonSchemaCases.Case> cases() {
        return JsonSchemaCases.load().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void llamaCppCase(JsonSchemaCases.Case c) {
        if (c.success()) {
            assertEquals(c.grammar() + "\n", JsonSchemaConverter.toGbnf(c.schema()), c.name());
        } else {
            assertThrows(GrammarException.class, () -> JsonSchemaConverter.toGbnf(c.schema()), c.name());
        }
    }

    /** The count the issue asks for, and a guard that the data file holds every case of the C++ test. */
    @Test
    void allCasesByteIdentical() {
        List<JsonSchemaCases.Case> all = JsonSchemaCases.load();
        assertEquals(81, all.size(), "cases in json-schema-cases.txt");
        int identical = 0;
        int failures = 0;
        var mismatches = new ArrayList<String>();
        for (var c : all) {
            if (c.success()) {
                String actual;
                try {
                    actual = JsonSchemaConverter.toGbnf(c.schema());
                } catch (GrammarException e) {
                    mismatches.add(c.name() + ": " + e.getMessage());
                    continue;
                }
                if (actual.equals(c.grammar() + "\n")) {
                    identical++;
                } else {
                    mismatches.add(c.name());
                }
            } else {
                try {
                    JsonSchemaConverter.toGbnf(c.schema());
                    mismatches.add(c.name() + ": no error");
                } catch (GrammarException e) {
                    failures++;
                }
            }
        }
        long successCases = all.stream().filter(JsonSchemaCases.Case::success).count();
        System.out.printf("json schema cases: %d/%d byte-identical grammars, %d/%d expected failures%n", identical,
                successCases, failures, all.size() - successCases);
        if (!mismatches.isEmpty()) {
            fail("cases that differ from llama.cpp: " + mismatches);
        }
    }

    /** The C++ test's last pass: every expected grammar parses (with our GBNF parser) and has a root rule. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void expectedGrammarParses(JsonSchemaCases.Case c) {
        if (c.success()) {
            assertEquals("root", Grammar.gbnf(c.grammar()).root(), c.name());
            assertEquals(c.grammar() + "\n", Grammar.jsonSchema(c.schema()).text(), c.name());
        }
    }

    /** The check at the end of the C++ test's main(): a property's sub-schema converts with the document's refs. */
    @Test
    void subSchemaRef() {
        String parameters = """
                {
                    "type": "object",
                    "properties": {"item": {"$ref": "#/$defs/item"}},
                    "$defs": {
                        "item": {
                            "type": "object",
                            "properties": {"a": {"type": "string"}},
                            "required": ["a"],
                            "additionalProperties": false
                        }
                    }
                }""";
        String expected = """
                char ::= [^"\\\\\\x7F\\x00-\\x1F] | [\\\\] (["\\\\bfnrt] | "u" [0-9a-fA-F]{4})
                ref-defs-item ::= "{" space ref-defs-item-a-kv space "}"
                ref-defs-item-a-kv ::= "\\"a\\"" space ":" space string
                root ::= ref-defs-item
                space ::= | " " | "\\n"{1,2} [ \\t]{0,20}
                string ::= "\\"" char* "\\""
                """;
        assertEquals(expected, JsonSchemaConverter.toGbnf(parameters, "/properties/item"));
    }

    /** The other check of the C++ test's main(): a recursive schema converts, to a recursive rule, repeatably. */
    @Test
    void recursiveSchema() {
        String schema = """
                {
                    "$ref": "#/$defs/node",
                    "$defs": {
                        "node": {
                            "type": "object",
                            "properties": {"next": {"$ref": "#/$defs/node"}, "leaf": {}},
                            "additionalProperties": false
                        }
                    }
                }""";
        String grammar = JsonSchemaConverter.toGbnf(schema);
        assertEquals(grammar, JsonSchemaConverter.toGbnf(schema));
        assertTrue(grammar.contains("ref-defs-node-next-kv ::= \"\\\"next\\\"\" space \":\" space ref-defs-node-next\n"),
                grammar);
        assertTrue(grammar.startsWith("array ::= "), grammar);
    }
}
