package io.github.ggml4j.grammar;


/**
 * JSON Schema to GBNF, with exactly the output of llama.cpp's converter ({@code json_schema_to_grammar} in
 * {@code common/json-schema-to-grammar.cpp} of the pinned tree): the same rules, the same rule names, the same
 * order, byte for byte. Internal: applications use {@link Grammar#jsonSchema(String)}.
 *
 * <p>Supported: {@code type} (also as an array), {@code enum}, {@code const}, {@code properties},
 * {@code required}, {@code additionalProperties}, {@code items}/{@code prefixItems} with {@code minItems} and
 * {@code maxItems}, strings with {@code minLength}/{@code maxLength}, {@code format} (date, time, date-time,
 * uuid) and {@code pattern} (anchored regular expressions, converted to rules; others accept any string),
 * integers with {@code minimum}/{@code maximum}/{@code exclusiveMinimum}/{@code exclusiveMaximum},
 * {@code $ref} into the same document ({@code #/$defs/...}, {@code #/definitions/...}, any {@code #/} path),
 * {@code anyOf}, {@code oneOf} and {@code allOf}. Anything else is ignored as llama.cpp ignores it.
 *
 * <p>Errors are {@link GrammarException}s: malformed JSON (with line and column), a schema outside the subset
 * (with the schema path: an unknown type, a remote {@code $ref}, an unresolvable one, an invalid pattern), or a
 * nesting limit exceeded. No input hangs or exhausts the stack: JSON nests at most {@link JsonReader#MAX_DEPTH}
 * deep, schemas {@link SchemaBuilder#MAX_DEPTH} deep counting {@code $ref} chains (limits that fit a default
 * 1 MiB thread stack; a thread with a smaller stack gets a {@link GrammarException} too), and a cyclic
 * {@code $ref} becomes a recursive rule.
 */
final class JsonSchemaConverter {

    private JsonSchemaConverter() {
    }

    /**
     * The GBNF grammar of the JSON values {@code schemaJson} accepts; its start rule is {@code root}.
     *
     * @throws GrammarException when the text is not JSON or the schema cannot be converted
     */
    static String toGbnf(String schemaJson) {
        return toGbnf(schemaJson, "");
    }

    /**
     * The grammar of the sub-schema at JSON pointer {@code pointer} of the document {@code schemaJson} (for
     * example {@code /properties/arguments}), its references resolved against the whole document; "" is the whole
     * document.
     *
     * @throws GrammarException when the text is not JSON, the pointer does not resolve, or the schema cannot be
     *         converted
     */
    static String toGbnf(String schemaJson, String pointer) {
        try {
            return convert(schemaJson, pointer);
        } catch (StackOverflowError e) {
            // the nesting limits fit a default thread stack; a thread with a smaller one can still run out
            throw new GrammarException("JSON schema conversion failed: the schema is nested too deeply for the stack"
                    + " of this thread");
        }
    }

    private static String convert(String schemaJson, String pointer) {
        Json json = JsonReader.parse(schemaJson);
        SchemaNode.Document doc;
        try {
            doc = SchemaBuilder.build(json, pointer);
        } catch (GrammarException e) {
            throw new GrammarException("JSON schema conversion failed: " + e.getMessage());
        }
        var visitor = new SchemaVisitor(doc.refs(), false);
        visitor.visit(doc.root(), "");
        visitor.checkErrors();
        return visitor.rules().format();
    }
}
