package io.github.ggml4j.grammar;


import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * ggml4j's JSON-Schema-to-GBNF converter against llama.cpp's own ({@link LlamaCppSchemaConverter}) beyond the
 * cases of llama.cpp's test: hand-written edge cases and random schemas. Where llama.cpp gives a grammar, ours
 * must be byte-identical; where it refuses the schema (or fails in any other way), ours must throw a
 * {@link GrammarException}.
 */
class JsonSchemaParityTest {

    /** Edge cases, each aimed at one rule of the conversion. */
    static final List<String> EDGE_CASES = List.of(
            // constants: number and string dumps
            "{\"const\": 1.0}", "{\"const\": -0}", "{\"const\": -0.0}", "{\"const\": 1e20}", "{\"const\": 1e21}",
            "{\"const\": 1.5e-7}", "{\"const\": 0.0001}", "{\"const\": 0.00001}", "{\"const\": 123456789012345678901}",
            "{\"const\": 18446744073709551615}", "{\"const\": -9223372036854775809}", "{\"const\": 1E400}",
            "{\"const\": \"\\u0000\\u001f\\u007f\\b\\f\\n\\r\\t\\/\"}", "{\"const\": \"\\ud83d\\ude00 é 日本\"}",
            "{\"const\": {\"b\": [1, {\"a\": null}], \"a\": true}}", "{\"enum\": [{\"x\": 1, \"x\": 2}]}",
            "{\"const\": \"\\ud800\"}", "{\"enum\": []}", "{\"enum\": 5}",
            // JSON syntax
            "\uFEFF{\"type\": \"string\"}", "{\"type\": \"string\",}", "{\"a\": 01}", "[1,]", "{} {}", "",
            "{\"type\": \"string\"} // c", "{\"a\": \"\t\"}", "{\"a\": -}", "{\"a\": 1.}", "{\"a\": .5}",
            "true", "[]", "\"s\"",
            // types
            "{\"type\": [\"string\", \"integer\", \"null\"], \"minimum\": 3, \"maxLength\": 2}",
            "{\"type\": [\"string\", 5]}", "{\"type\": [], \"const\": 1}", "{\"type\": \"\"}",
            "{\"type\": null, \"maxLength\": 3}", "{\"type\": 5, \"const\": 1}", "{\"format\": \"uuid3\"}",
            "{\"format\": \"uuid6\"}", "{\"format\": 5}", "{\"type\": \"string\", \"format\": \"time\", \"pattern\": \"^a$\"}",
            // integers
            "{\"type\": \"integer\", \"minimum\": 10, \"maximum\": 5}",
            "{\"type\": \"integer\", \"minimum\": -1, \"maximum\": -5}",
            "{\"type\": \"integer\", \"maximum\": -9223372036854775808}",
            "{\"type\": \"integer\", \"minimum\": 9223372036854775807}",
            "{\"type\": \"integer\", \"minimum\": 1e300}", "{\"type\": \"integer\", \"maximum\": -1e300}",
            "{\"type\": \"integer\", \"exclusiveMinimum\": 2.5, \"exclusiveMaximum\": 7.5}",
            "{\"type\": \"integer\", \"exclusiveMinimum\": 9223372036854775807}",
            "{\"type\": \"integer\", \"exclusiveMaximum\": -9223372036854775808}",
            "{\"type\": \"integer\", \"minimum\": 18446744073709551615}",
            "{\"type\": \"integer\", \"minimum\": 100000000000000000}",
            "{\"type\": \"integer\", \"minimum\": -100000000000000000}",
            "{\"type\": \"integer\", \"minimum\": 1234, \"maximum\": 987654}",
            "{\"type\": \"integer\", \"minimum\": true}", "{\"type\": \"integer\", \"exclusiveMinimum\": true}",
            // counts
            "{\"type\": \"array\", \"minItems\": 3, \"maxItems\": 1}", "{\"type\": \"array\", \"minItems\": 4294967297}",
            "{\"type\": \"array\", \"minItems\": 2147483648}", "{\"type\": \"string\", \"minLength\": 5, \"maxLength\": 2}",
            "{\"type\": \"array\", \"items\": true}", "{\"items\": [], \"minItems\": 3}",
            "{\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"prefixItems\": [{\"type\": \"number\"}]}",
            // objects
            "{\"properties\": {\"*\": {\"type\": \"string\"}, \"a\": {}}, \"additionalProperties\": {\"type\": \"null\"}}",
            "{\"properties\": {\"a b\": {\"type\": \"string\"}, \"a-b\": {\"type\": \"integer\"}}}",
            "{\"properties\": {\"]\": {}, \"\\\\\": {}, \"\\\"\": {}}, \"additionalProperties\": true}",
            "{\"properties\": {\"日本\": {\"type\": \"string\"}, \"日\": {}}, \"additionalProperties\": {}}",
            "{\"properties\": {}, \"additionalProperties\": false}", "{\"properties\": {}}",
            "{\"properties\": []}", "{\"additionalProperties\": {\"type\": \"integer\"}}",
            "{\"type\": \"object\", \"properties\": {\"a\": {}}, \"required\": \"a\"}",
            "{\"properties\": {\"x\": {\"const\": 1}, \"y\": {\"const\": 2}, \"z\": {\"const\": 3}, \"w\": {}},"
                    + " \"required\": [\"z\"], \"additionalProperties\": {\"type\": \"boolean\"}}",
            // refs
            "{\"$ref\": \"#/$defs/a\", \"$defs\": {\"a\": {\"$ref\": \"#/$defs/a\"}}}",
            "{\"$ref\": \"#/$defs/a\", \"$defs\": {\"a\": {\"$ref\": \"#/$defs/b\"}, \"b\": {\"type\": \"string\"}}}",
            "{\"items\": [{\"type\": \"string\"}, {\"$ref\": \"#/items/0\"}, {\"$ref\": \"#/items/-0\"}]}",
            "{\"items\": [{\"type\": \"string\"}, {\"$ref\": \"#/items/ 1\"}]}",
            "{\"items\": [{\"type\": \"string\"}, {\"$ref\": \"#/items/7\"}]}",
            "{\"items\": [{\"type\": \"string\"}, {\"$ref\": \"#/items/x\"}]}",
            "{\"$ref\": \"#/$defs/a b\", \"$defs\": {\"a b\": {\"type\": \"null\"}}}",
            "{\"$ref\": \"#/$defs/~0\", \"$defs\": {\"~0\": {\"type\": \"null\"}}}",
            "{\"$ref\": \"#\"}", "{\"$ref\": \"#/\"}", "{\"$ref\": \"https://example.com/schema\"}",
            "{\"$ref\": \"#/$defs/missing\", \"$defs\": {}}", "{\"$ref\": 3}",
            "{\"allOf\": [{\"$ref\": \"#/$defs/a\"}], \"$defs\": {\"a\": {\"$ref\": \"#/$defs/b\"}, \"b\": {\"enum\": [1]}}}",
            "{\"properties\": {\"n\": {\"$ref\": \"#\"}}}",
            // allOf / anyOf
            "{\"allOf\": [{\"enum\": [1, 1, 2]}, {\"enum\": [1]}]}",
            "{\"allOf\": [{\"enum\": [\"é\", \"z\", \"😀\", \"\\uffff\"]}, {\"enum\": [\"😀\", \"\\uffff\", \"é\", \"z\"]}]}",
            "{\"allOf\": [{\"properties\": {\"a\": {}}}, {\"anyOf\": [{\"properties\": {\"a\": {\"type\": \"string\"}}},"
                    + " {\"properties\": {\"b\": {}}}]}]}",
            "{\"allOf\": [{\"type\": \"string\"}, {\"minLength\": 2}]}", "{\"allOf\": []}", "{\"allOf\": {}}",
            "{\"anyOf\": []}", "{\"oneOf\": [{\"type\": \"string\"}], \"anyOf\": [{\"type\": \"number\"}]}",
            "{\"type\": \"string\", \"allOf\": [{\"enum\": [\"a\"]}]}",
            // patterns
            "{\"pattern\": \"^[\\\\d]+$\"}", "{\"pattern\": 5}", "{\"pattern\": \"\"}", "{\"pattern\": \"^\\\\\"$\"}",
            "{\"pattern\": \"^(" + "(".repeat(120) + "a" + ")".repeat(120) + ")$\"}",
            "{\"pattern\": \"^" + "(a)".repeat(50) + "$\"}", "{\"pattern\": \"^a{1}(a){1}(a){1}[b]{2}[b]{2}$\"}");

    @Test
    void edgeCasesMatchLlamaCpp() {
        compare(EDGE_CASES);
    }

    @Test
    void randomSchemasMatchLlamaCpp() {
        compare(RandomSchemas.generate(19, 1500));
    }

    /** Doubles of random bit patterns (and near powers of ten) as enum values: the number dump, digit for digit. */
    @Test
    void doubleDumpsMatchLlamaCpp() {
        var random = new java.util.Random(19);
        var schemas = new ArrayList<String>();
        for (int s = 0; s < 40; s++) {
            var values = new ArrayList<String>();
            while (values.size() < 250) {
                double d = switch (values.size() % 3) {
                    case 0 -> Double.longBitsToDouble(random.nextLong());
                    case 1 -> Math.pow(10, random.nextInt(640) - 320) * (1 + random.nextInt(9));
                    default -> (random.nextDouble() - 0.5) * Math.pow(10, random.nextInt(40) - 20);
                };
                if (Double.isFinite(d)) {
                    values.add(Double.toString(d));
                }
            }
            schemas.add("{\"enum\": [" + String.join(", ", values) + "]}");
        }
        compare(schemas);
    }

    private static void compare(List<String> schemas) {
        List<LlamaCppSchemaConverter.Result> expected = LlamaCppSchemaConverter.convert(schemas);
        int grammars = 0;
        int refusals = 0;
        int crashes = 0;
        var mismatches = new ArrayList<String>();
        for (int i = 0; i < schemas.size(); i++) {
            String schema = schemas.get(i);
            var ref = expected.get(i);
            if (ref.status().equals("crash")) {
                // llama.cpp dies on it; ggml4j must answer, with a grammar or a GrammarException
                crashes++;
                try {
                    JsonSchemaConverter.toGbnf(schema);
                } catch (GrammarException e) {
                    // refused: fine
                }
                System.out.println("llama.cpp's converter crashes on #" + i + ": " + schema);
                continue;
            }
            String actual;
            try {
                actual = JsonSchemaConverter.toGbnf(schema);
            } catch (GrammarException e) {
                if (ref.ok()) {
                    mismatches.add("#" + i + " " + schema + "\n  llama.cpp converts it, ggml4j: " + e.getMessage());
                } else {
                    refusals++;
                }
                continue;
            }
            if (!ref.ok()) {
                mismatches.add("#" + i + " " + schema + "\n  llama.cpp: " + ref.status() + " " + ref.text()
                        + "\n  ggml4j converts it:\n" + actual);
            } else if (!ref.text().equals(actual)) {
                mismatches.add("#" + i + " " + schema + "\n  llama.cpp:\n" + ref.text() + "\n  ggml4j:\n" + actual);
            } else {
                grammars++;
            }
        }
        System.out.printf("json schema parity: %d schemas, %d byte-identical grammars, %d refused by both, "
                + "%d crash llama.cpp, %d differ%n", schemas.size(), grammars, refusals, crashes, mismatches.size());
        if (!mismatches.isEmpty()) {
            fail(mismatches.size() + " schemas differ from llama.cpp:\n"
                    + String.join("\n", mismatches.subList(0, Math.min(10, mismatches.size()))));
        }
        assertEquals(schemas.size(), grammars + refusals + crashes);
    }
}
