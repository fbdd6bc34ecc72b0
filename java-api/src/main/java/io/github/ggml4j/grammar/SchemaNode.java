package io.github.ggml4j.grammar;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The subset of JSON Schema the converter turns into a grammar, one node kind per way of converting, as
 * llama.cpp's {@code common_chat_schema} models it: {@code type} arrays are already expanded into {@link AnyOf},
 * exclusive integer bounds folded into inclusive ones, an absent {@code items} is {@link Any}. Internal to the
 * grammar package.
 */
sealed interface SchemaNode {

    /** No constraint: any JSON value. */
    record Any() implements SchemaNode {
    }

    /** A {@code $ref} into the same document; its target is in {@link Document#refs()} under {@code ref}. */
    record Ref(String ref) implements SchemaNode {
        public Ref {
            Objects.requireNonNull(ref, "ref");
        }
    }

    /** {@code anyOf} or {@code oneOf}, or a {@code type} array. */
    record AnyOf(List<SchemaNode> children) implements SchemaNode {
        public AnyOf {
            children = List.copyOf(children);
        }
    }

    /** {@code allOf}. */
    record AllOf(List<SchemaNode> children) implements SchemaNode {
        public AllOf {
            children = List.copyOf(children);
        }
    }

    /** {@code const}. */
    record Const(Json value) implements SchemaNode {
        public Const {
            Objects.requireNonNull(value, "value");
        }
    }

    /** {@code enum}, in document order. */
    record Enum(List<Json> values) implements SchemaNode {
        public Enum {
            values = List.copyOf(values);
        }
    }

    /** {@code "type": "null"}. */
    record Null() implements SchemaNode {
    }

    /** {@code "type": "boolean"}. */
    record Bool() implements SchemaNode {
    }

    /** {@code "type": "number"} (bounds are not converted). */
    record Num() implements SchemaNode {
    }

    /** {@code "type": "integer"} with inclusive bounds; {@link Long#MIN_VALUE} / {@link Long#MAX_VALUE} for none. */
    record Int(long minimum, long maximum) implements SchemaNode {
    }

    /** Date and time formats the converter knows; {@code UUID} covers uuid and uuid1 to uuid5. */
    enum Format { NONE, UUID, DATE, TIME, DATE_TIME }

    /**
     * {@code "type": "string"}.
     *
     * @param pattern the regular expression, empty when there is none
     * @param maxLength -1 for unbounded
     */
    record Str(String pattern, Format format, int minLength, int maxLength) implements SchemaNode {
        public Str {
            Objects.requireNonNull(pattern, "pattern");
            Objects.requireNonNull(format, "format");
        }
    }

    /**
     * {@code "type": "array"} with one item schema.
     *
     * @param maxItems -1 for unbounded
     */
    record Array(SchemaNode items, int minItems, int maxItems) implements SchemaNode {
        public Array {
            Objects.requireNonNull(items, "items");
        }
    }

    /** An array of fixed length, one schema per position ({@code prefixItems} or an {@code items} array). */
    record Tuple(List<SchemaNode> items) implements SchemaNode {
        public Tuple {
            items = List.copyOf(items);
        }
    }

    /** One property of an {@link Obj}. */
    record Property(String name, SchemaNode schema, boolean required) {
        public Property {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(schema, "schema");
        }
    }

    /**
     * {@code "type": "object"}.
     *
     * @param properties in schema order
     * @param additionalProperties the schema of other properties, or {@code null} when none are allowed
     */
    record Obj(List<Property> properties, SchemaNode additionalProperties) implements SchemaNode {
        public Obj {
            properties = List.copyOf(properties);
        }
    }

    /** A converted schema: its root node and the target of every {@code $ref}, by the reference text. */
    record Document(SchemaNode root, Map<String, SchemaNode> refs) {
        public Document {
            Objects.requireNonNull(root, "root");
            refs = Map.copyOf(refs);
        }
    }
}
