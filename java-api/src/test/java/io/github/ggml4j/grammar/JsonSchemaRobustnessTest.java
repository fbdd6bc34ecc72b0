package io.github.ggml4j.grammar;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

/**
 * Bad input gives a {@link GrammarException} naming the position (line and column of malformed JSON, the schema
 * path of a bad schema), never a hang or a StackOverflowError: deep nesting, long {@code $ref} chains, cyclic
 * references, long names and patterns are bounded. The deep cases run on a thread with a 1 MiB stack (the JVM's
 * default thread stack on 64-bit Linux), not the test runner's larger one.
 */
class JsonSchemaRobustnessTest {

    private static final long SMALL_STACK = 1024 * 1024;

    /** Runs {@code body} on a thread with a small stack; rethrows what it threw. */
    private static void onSmallStack(Runnable body) {
        var failure = new AtomicReference<Throwable>();
        var thread = new Thread(null, () -> {
            try {
                body.run();
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "small-stack", SMALL_STACK);
        thread.start();
        try {
            thread.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        if (thread.isAlive()) {
            throw new AssertionError("conversion did not end");
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
    }

    private static GrammarException refused(String schema) {
        var holder = new AtomicReference<GrammarException>();
        onSmallStack(() -> holder.set(assertThrows(GrammarException.class, () -> JsonSchemaConverter.toGbnf(schema))));
        return holder.get();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "{", "}", "{\"a\" 1}", "{\"a\": 1,}", "[1,]", "[1 2]", "{\"a\": 01}",
        "{\"a\": 1.}", "{\"a\": .5}", "{\"a\": -}", "{\"a\": 1e}", "{\"a\": +1}", "{'a': 1}", "{a: 1}",
        "{\"a\": tru}", "{\"a\": nul}", "{\"a\": \"x}", "{\"a\": \"\\x\"}", "{\"a\": \"\\u12\"}",
        "{\"a\": \"\\ud800\"}", "{\"a\": \"\\udc00\"}", "{\"a\": \"\\ud800\\u0041\"}", "{\"a\": \"\t\"}",
        "{} {}", "{} x", "{\"a\": 1} // comment", "{\"a\": 1e400}", "{\"a\": NaN}", "{\"a\": Infinity}",
        "\"\ud800\""})
    void malformedJsonIsRefusedWithAPosition(String text) {
        GrammarException e = refused(text);
        assertTrue(e.line() >= 1 && e.column() >= 1, e.getMessage());
        assertTrue(e.getMessage().startsWith("line " + e.line() + ", column " + e.column() + ": invalid JSON: "),
                e.getMessage());
    }

    @Test
    void positionIsLineAndColumn() {
        GrammarException e = refused("{\n  \"type\": \"string\",\n  \"minLength\": 1,\n}");
        assertEquals(4, e.line(), e.getMessage());
        assertEquals(1, e.column(), e.getMessage());
        e = refused("{\n  \"type\": \"string\"\n  \"minLength\": 1\n}");
        assertEquals(3, e.line(), e.getMessage());
        assertEquals(3, e.column(), e.getMessage());
        // columns count code points
        e = refused("{\"😀😀\": x}");
        assertEquals(1, e.line(), e.getMessage());
        assertEquals(8, e.column(), e.getMessage());
    }

    @Test
    void schemaErrorsNameThePath() {
        assertTrue(refused("{\"properties\": {\"a\": {\"type\": \"kaboom\"}}}").getMessage()
                .contains("at #/properties/a: unrecognized type kaboom"));
        assertTrue(refused("{\"items\": [{}, {\"minLength\": -1}]}").getMessage()
                .contains("at #/items/1: minLength must be a non-negative integer"));
        assertTrue(refused("{\"anyOf\": [{\"$ref\": \"#/$defs/x\"}]}").getMessage()
                .contains("at #/anyOf/0: cannot resolve $ref #/$defs/x"));
        assertTrue(refused("{\"$ref\": \"https://example.com/s.json\"}").getMessage()
                .contains("only references into the same document are supported"));
        assertTrue(refused("{\"type\": \"string\", \"pattern\": \"^(a$\"}").getMessage()
                .contains("Invalid pattern ^(a$: unbalanced parentheses"));
        assertTrue(refused("[]").getMessage().contains("at #: schema must be an object"));
    }

    @Test
    void deepJsonIsRefused() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertTrue(refused(deep).getMessage().contains("nested deeper than " + JsonReader.MAX_DEPTH));
        String deepObject = "{\"a\":".repeat(100_000) + "1" + "}".repeat(100_000);
        assertTrue(refused(deepObject).getMessage().contains("nested deeper than"));
    }

    @Test
    void deepSchemaIsRefusedAndShallowerConverts() {
        int limit = SchemaBuilder.MAX_DEPTH;
        String tooDeep = "{\"items\": ".repeat(limit + 10) + "{}" + "}".repeat(limit + 10);
        assertTrue(refused(tooDeep).getMessage().contains("nested deeper than " + limit));
        String deep = "{\"items\": ".repeat(limit - 10) + "{\"type\": \"string\"}" + "}".repeat(limit - 10);
        onSmallStack(() -> assertTrue(JsonSchemaConverter.toGbnf(deep).contains("root ::= \"[\" space")));
    }

    /** On a thread with a stack too small for the nesting limits, a deep schema is refused, not a crash. */
    @Test
    void tinyStackGivesAGrammarException() {
        String deep = "{\"items\": ".repeat(250) + "{}" + "}".repeat(250);
        var outcome = new AtomicReference<Object>();
        var thread = new Thread(null, () -> {
            try {
                outcome.set(JsonSchemaConverter.toGbnf(deep));
            } catch (Throwable t) {
                outcome.set(t);
            }
        }, "tiny-stack", 64 * 1024);
        thread.start();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> thread.join());
        Object result = outcome.get();
        assertTrue(result instanceof String || result instanceof GrammarException, String.valueOf(result));
    }

    @Test
    void longRefChainIsRefused() {
        var defs = new StringBuilder("{\"$ref\": \"#/$defs/d0\", \"$defs\": {");
        for (int i = 0; i < 5000; i++) {
            defs.append(i == 0 ? "" : ", ").append("\"d").append(i).append("\": {\"$ref\": \"#/$defs/d").append(i + 1)
                    .append("\"}");
        }
        defs.append(", \"d5000\": {\"type\": \"null\"}}}");
        assertTrue(refused(defs.toString()).getMessage().contains("counting $ref chains"));
    }

    @Test
    void cyclicRefsEnd() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            // a bare cycle becomes a rule that names itself, as in llama.cpp
            String self = "{\"$ref\": \"#/$defs/a\", \"$defs\": {\"a\": {\"$ref\": \"#/$defs/a\"}}}";
            onSmallStack(() -> assertTrue(JsonSchemaConverter.toGbnf(self).contains("ref-defs-a ::= ref-defs-a\n")));
            // allOf over a bare cycle: llama.cpp recurses without end, ggml4j takes the cycle as no constraint
            String allOf = "{\"$defs\": {\"a\": {\"$ref\": \"#/$defs/b\"}, \"b\": {\"$ref\": \"#/$defs/a\"}},"
                    + " \"allOf\": [{\"$ref\": \"#/$defs/a\"}]}";
            onSmallStack(() -> assertEquals("root ::= \"{\" space \"}\"\nspace ::= " + GbnfRules.SPACE_RULE + "\n",
                    JsonSchemaConverter.toGbnf(allOf)));
            // an allOf property naming its own object expands without end in llama.cpp (it crashes); refused here
            String expanding = "{\"$defs\": {\"d\": {\"type\": \"object\", \"properties\": {\"p\": {\"allOf\":"
                    + " [{\"$ref\": \"#/$defs/d\"}]}}}}, \"$ref\": \"#/$defs/d\"}";
            assertTrue(refused(expanding).getMessage().contains("nested deeper than"));
        });
    }

    @Test
    void longNamesAndPatternsAreBounded() {
        String name = "n".repeat(200_000);
        String schema = "{\"properties\": {\"" + name + "\": {\"type\": \"string\"}}, \"additionalProperties\":"
                + " {\"type\": \"integer\"}}";
        onSmallStack(() -> assertTrue(JsonSchemaConverter.toGbnf(schema).contains("additional-k ::= [\"] ( [n] (")));
        String nested = "^" + "(".repeat(5000) + "a" + ")".repeat(5000) + "$";
        onSmallStack(() -> assertEquals("char ::= " + GbnfRules.PRIMITIVES.get("char").content() + "\nroot ::= string\n"
                + "space ::= " + GbnfRules.SPACE_RULE + "\nstring ::= " + GbnfRules.PRIMITIVES.get("string").content()
                + "\n", JsonSchemaConverter.toGbnf("{\"pattern\": \"" + nested + "\"}")));
    }

    @Test
    void manyPropertiesConvertQuickly() {
        var props = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            props.append(i == 0 ? "" : ", ").append("\"p").append(i).append("\": {\"type\": \"integer\", \"minimum\": ")
                    .append(i).append("}");
        }
        String schema = "{\"properties\": {" + props + "}, \"additionalProperties\": {\"type\": \"string\"}}";
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            String grammar = JsonSchemaConverter.toGbnf(schema);
            assertTrue(grammar.contains("p2998-rest ::= ( \",\" space p2999-kv )? p2999-rest\n"), "rest chain");
        });
    }

    @Test
    void numbersDumpAsLlamaCppWritesThem() {
        // as ggml4j-schema-ref (llama.cpp's converter) writes them in {"const": ...}; JsonSchemaParityTest
        // compares 10000 more
        String[][] cases = {{"1.0", "1.0"}, {"-0.0", "-0.0"}, {"-0", "0"}, {"1e20", "1e+20"}, {"1e15", "1e+15"}, {"999999999999999.9", "999999999999999.9"}, {"0.001", "0.001"},
            {"1e21", "1e+21"}, {"1.5e-7", "1.5e-07"}, {"0.0001", "0.0001"}, {"0.00001", "1e-05"},
            {"4.9e-324", "5e-324"}, {"123.456e3", "123456.0"}, {"18446744073709551615", "18446744073709551615"},
            {"18446744073709551616", "1.8446744073709552e+19"}, {"-9223372036854775808", "-9223372036854775808"},
            {"0.1", "0.1"}, {"1E400", null}};
        for (String[] c : cases) {
            if (c[1] == null) {
                assertThrows(GrammarException.class, () -> JsonReader.parse(c[0]), c[0]);
            } else {
                assertEquals(c[1], JsonReader.parse(c[0]).dump(), c[0]);
            }
        }
        assertEquals("\"\\u0000\\u001f\u007f\\b\\f\\n\\r\\t/\\\"\\\\é\"",
                JsonReader.parse("\"\\u0000\\u001f\\u007f\\b\\f\\n\\r\\t\\/\\\"\\\\\\u00e9\"").dump());
    }
}
