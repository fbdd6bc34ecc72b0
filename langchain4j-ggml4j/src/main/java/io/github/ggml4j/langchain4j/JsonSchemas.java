package io.github.ggml4j.langchain4j;

import dev.langchain4j.model.chat.request.json.JsonAnyOfSchema;
import dev.langchain4j.model.chat.request.json.JsonArraySchema;
import dev.langchain4j.model.chat.request.json.JsonBooleanSchema;
import dev.langchain4j.model.chat.request.json.JsonEnumSchema;
import dev.langchain4j.model.chat.request.json.JsonIntegerSchema;
import dev.langchain4j.model.chat.request.json.JsonNullSchema;
import dev.langchain4j.model.chat.request.json.JsonNumberSchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonReferenceSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * LangChain4j's JSON schema elements as JSON Schema text, for {@link io.github.ggml4j.grammar.Grammar#jsonSchema}:
 * types, properties in their declared order, required, additionalProperties, enums, arrays, anyOf, references
 * into {@code $defs}, and raw schemas as given. Descriptions are left out: they do not constrain the output.
 */
final class JsonSchemas {

    private JsonSchemas() {
    }

    static String toJson(JsonSchemaElement e) {
        StringBuilder b = new StringBuilder();
        write(b, e);
        return b.toString();
    }

    private static void write(StringBuilder b, JsonSchemaElement e) {
        switch (e) {
            case JsonObjectSchema o -> object(b, o);
            case JsonStringSchema s -> b.append("{\"type\":\"string\"}");
            case JsonIntegerSchema i -> b.append("{\"type\":\"integer\"}");
            case JsonNumberSchema n -> b.append("{\"type\":\"number\"}");
            case JsonBooleanSchema t -> b.append("{\"type\":\"boolean\"}");
            case JsonNullSchema n -> b.append("{\"type\":\"null\"}");
            case JsonEnumSchema en -> {
                b.append("{\"type\":\"string\",\"enum\":");
                strings(b, en.enumValues());
                b.append('}');
            }
            case JsonArraySchema a -> {
                b.append("{\"type\":\"array\"");
                if (a.items() != null) {
                    b.append(",\"items\":");
                    write(b, a.items());
                }
                b.append('}');
            }
            case JsonAnyOfSchema any -> {
                b.append("{\"anyOf\":[");
                for (int i = 0; i < any.anyOf().size(); i++) {
                    b.append(i > 0 ? "," : "");
                    write(b, any.anyOf().get(i));
                }
                b.append("]}");
            }
            case JsonReferenceSchema r -> b.append("{\"$ref\":").append(quote("#/$defs/" + r.reference())).append('}');
            case JsonRawSchema raw -> b.append(raw.schema());
            default -> throw new IllegalArgumentException("ggml4j: unsupported JSON schema element "
                    + e.getClass().getSimpleName());
        }
    }

    private static void object(StringBuilder b, JsonObjectSchema o) {
        b.append("{\"type\":\"object\"");
        if (o.properties() != null && !o.properties().isEmpty()) {
            b.append(",\"properties\":{");
            Iterator<Map.Entry<String, JsonSchemaElement>> it = o.properties().entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<String, JsonSchemaElement> p = it.next();
                b.append(quote(p.getKey())).append(':');
                write(b, p.getValue());
                b.append(it.hasNext() ? "," : "");
            }
            b.append('}');
        }
        if (o.required() != null && !o.required().isEmpty()) {
            b.append(",\"required\":");
            strings(b, o.required());
        }
        if (o.additionalProperties() != null) {
            b.append(",\"additionalProperties\":").append(o.additionalProperties());
        }
        if (o.definitions() != null && !o.definitions().isEmpty()) {
            b.append(",\"$defs\":{");
            Iterator<Map.Entry<String, JsonSchemaElement>> it = o.definitions().entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<String, JsonSchemaElement> d = it.next();
                b.append(quote(d.getKey())).append(':');
                write(b, d.getValue());
                b.append(it.hasNext() ? "," : "");
            }
            b.append('}');
        }
        b.append('}');
    }

    private static void strings(StringBuilder b, List<String> values) {
        b.append('[');
        for (int i = 0; i < values.size(); i++) {
            b.append(i > 0 ? "," : "").append(quote(values.get(i)));
        }
        b.append(']');
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
