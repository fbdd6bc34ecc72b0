package io.github.ggml4j.grammar;

/**
 * MERGE SEAM (branch grammar): a placeholder so {@link Grammar#jsonSchema} compiles before the JSON-Schema
 * converter (branch jsonschema) is merged; that branch's file of the same name replaces this one.
 */
final class JsonSchemaConverter {

    private JsonSchemaConverter() {
    }

    /** The GBNF grammar for a JSON Schema. */
    static String toGbnf(String schemaJson) {
        throw new GrammarException("JSON Schema support not built");
    }
}
