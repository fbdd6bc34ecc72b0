package io.github.ggml4j.grammar;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads a JSON Schema document into {@link SchemaNode}s, with llama.cpp's rules ({@code common/json-schema.cpp}):
 * which keyword wins when several are present, how a {@code type} array expands, how fractional and exclusive
 * integer bounds fold into inclusive ones, which {@code $ref}s resolve (only {@code #/...} into the same
 * document). Every {@code $ref} target is built once, so a cyclic reference ends; nesting deeper than
 * {@link #MAX_DEPTH} (counting {@code $ref} chains) is refused. Errors name the schema path.
 */
final class SchemaBuilder {

    /** The deepest nesting of schema nodes accepted, {@code $ref} targets included. */
    static final int MAX_DEPTH = 256;

    private static final BigInteger UNSIGNED_LIMIT = BigInteger.ONE.shiftLeft(64);

    private final Json root;
    private final Map<String, SchemaNode> refs = new LinkedHashMap<>();
    private final Set<String> building = new HashSet<>();
    private int depth;

    private SchemaBuilder(Json root) {
        this.root = root;
    }

    /** Builds the whole document: the node of {@code schema} and the target of every reference it reaches. */
    static SchemaNode.Document build(Json schema) {
        var builder = new SchemaBuilder(schema);
        SchemaNode node = builder.node(schema, "#");
        return new SchemaNode.Document(node, builder.refs);
    }

    /**
     * Builds the node of the sub-schema at {@code pointer} (a JSON pointer, "" for the whole document); its
     * references resolve against the whole document.
     */
    static SchemaNode.Document build(Json schema, String pointer) {
        if (pointer.isEmpty()) {
            return build(schema);
        }
        var builder = new SchemaBuilder(schema);
        Json target = builder.resolve("#" + pointer, "#");
        SchemaNode node = builder.node(target, "#" + pointer);
        return new SchemaNode.Document(node, builder.refs);
    }

    private static GrammarException fail(String path, String message) {
        return new GrammarException("JSON schema error at " + path + ": " + message);
    }

    private SchemaNode node(Json json, String path) {
        if (++depth > MAX_DEPTH) {
            throw fail(path, "schema nested deeper than " + MAX_DEPTH + " levels (counting $ref chains)");
        }
        try {
            return nodeOf(json, path);
        } finally {
            depth--;
        }
    }

    private SchemaNode nodeOf(Json json, String path) {
        if (!(json instanceof Json.Obj schema)) {
            throw fail(path, "schema must be an object");
        }
        if (schema.has("$ref")) {
            return ref(schema.get("$ref"), path);
        }
        if (schema.has("oneOf") || schema.has("anyOf")) {
            String key = schema.has("oneOf") ? "oneOf" : "anyOf";
            return new SchemaNode.AnyOf(alternatives(schema.get(key), path + "/" + key));
        }
        Json type = schema.has("type") ? schema.get("type") : Json.Null.INSTANCE;
        if (type instanceof Json.Arr types) {
            if (types.items().isEmpty()) {
                throw fail(path, "type must not be empty");
            }
            var children = new ArrayList<SchemaNode>();
            for (int i = 0; i < types.items().size(); i++) {
                children.add(node(schema.with("type", types.items().get(i)), path + "/type/" + i));
            }
            return new SchemaNode.AnyOf(children);
        }
        if (schema.has("const")) {
            return new SchemaNode.Const(schema.get("const"));
        }
        if (schema.has("enum")) {
            if (!(schema.get("enum") instanceof Json.Arr values) || values.items().isEmpty()) {
                throw fail(path, "enum must be a non-empty array");
            }
            return new SchemaNode.Enum(values.items());
        }
        if (!(type instanceof Json.Null) && !(type instanceof Json.Str)) {
            throw fail(path, "type must be a string or an array of strings");
        }
        String typeName = type instanceof Json.Str s ? s.value() : "";
        boolean hasProperties = schema.has("properties")
                || (schema.has("additionalProperties") && !new Json.Bool(true).equals(schema.get("additionalProperties")));
        if (typeName.isEmpty()) {
            // without a type the structural keywords decide
            if (hasProperties) {
                return object(schema, path);
            }
            if (schema.has("allOf")) {
                return new SchemaNode.AllOf(alternatives(schema.get("allOf"), path + "/allOf"));
            }
            if (schema.has("items") || schema.has("prefixItems")) {
                return array(schema, path);
            }
            if (schema.has("pattern") || schema.has("minLength") || schema.has("maxLength")
                    || format(schema, path) != SchemaNode.Format.NONE) {
                return string(schema, path);
            }
            return new SchemaNode.Any();
        }
        return switch (typeName) {
            case "object" -> !hasProperties && schema.has("allOf")
                    ? new SchemaNode.AllOf(alternatives(schema.get("allOf"), path + "/allOf"))
                    : object(schema, path);
            case "string" -> schema.has("allOf")
                    ? new SchemaNode.AllOf(alternatives(schema.get("allOf"), path + "/allOf"))
                    : string(schema, path);
            case "array" -> array(schema, path);
            case "integer" -> integer(schema, path);
            case "number" -> new SchemaNode.Num();
            case "boolean" -> new SchemaNode.Bool();
            case "null" -> new SchemaNode.Null();
            default -> throw fail(path, "unrecognized type " + typeName);
        };
    }

    private SchemaNode ref(Json value, String path) {
        if (!(value instanceof Json.Str str)) {
            throw fail(path, "$ref must be a string");
        }
        String ref = str.value();
        if (!ref.startsWith("#/")) {
            throw fail(path, "unsupported $ref " + ref + ", only references into the same document are supported");
        }
        if (!refs.containsKey(ref) && building.add(ref)) {
            // a cycle back to this $ref stops at the set of references being built
            refs.put(ref, node(resolve(ref, path), ref));
            building.remove(ref);
        }
        return new SchemaNode.Ref(ref);
    }

    /** Follows {@code ref} ("#/a/b/0") from the document root: object members by name, array elements by index. */
    private Json resolve(String ref, String path) {
        Json target = root;
        String[] tokens = ref.substring(1).split("/", -1);
        for (int i = 1; i < tokens.length; i++) {
            String sel = tokens[i];
            if (target instanceof Json.Obj obj && obj.has(sel)) {
                target = obj.get(sel);
            } else if (target instanceof Json.Arr arr) {
                long idx = parseIndex(sel, arr.items().size());
                if (idx >= arr.items().size()) {
                    throw fail(path, "cannot resolve $ref " + ref + ", " + sel + " is out of range");
                }
                target = arr.items().get((int) idx);
            } else {
                throw fail(path, "cannot resolve $ref " + ref + ", " + sel + " not found");
            }
        }
        return target;
    }

    /**
     * An array index read as C's {@code strtoull} reads it (leading white space, a sign, the leading digits);
     * {@code size} (out of range) when it has no digits, overflows, or is negative.
     */
    private static long parseIndex(String sel, int size) {
        int i = 0;
        while (i < sel.length() && " \t\n\u000B\f\r".indexOf(sel.charAt(i)) >= 0) {
            i++;
        }
        boolean negative = false;
        if (i < sel.length() && (sel.charAt(i) == '+' || sel.charAt(i) == '-')) {
            negative = sel.charAt(i) == '-';
            i++;
        }
        int start = i;
        while (i < sel.length() && sel.charAt(i) >= '0' && sel.charAt(i) <= '9') {
            i++;
        }
        if (i == start) {
            return size;
        }
        var value = new BigInteger(sel.substring(start, i));
        if (value.compareTo(UNSIGNED_LIMIT) >= 0 || (negative && value.signum() != 0)) {
            return size;
        }
        return value.min(BigInteger.valueOf(size)).longValue();
    }

    private List<SchemaNode> alternatives(Json alts, String path) {
        if (!(alts instanceof Json.Arr arr)) {
            throw fail(path, "must be an array of schemas");
        }
        if (arr.items().isEmpty()) {
            throw fail(path, "must not be empty");
        }
        var children = new ArrayList<SchemaNode>();
        for (int i = 0; i < arr.items().size(); i++) {
            children.add(node(arr.items().get(i), path + "/" + i));
        }
        return children;
    }

    private SchemaNode object(Json.Obj schema, String path) {
        var required = new HashSet<String>();
        if (schema.get("required") instanceof Json.Arr names) {
            for (Json name : names.items()) {
                if (name instanceof Json.Str s) {
                    required.add(s.value());
                }
            }
        }
        var properties = new ArrayList<SchemaNode.Property>();
        if (schema.has("properties")) {
            if (!(schema.get("properties") instanceof Json.Obj props)) {
                throw fail(path, "properties must be an object");
            }
            for (var e : props.members().entrySet()) {
                String name = e.getKey();
                properties.add(new SchemaNode.Property(name, node(e.getValue(), path + "/properties/" + name),
                        required.contains(name)));
            }
        }
        SchemaNode additional = null;
        if (schema.has("additionalProperties")) {
            Json value = schema.get("additionalProperties");
            if (value instanceof Json.Bool b) {
                additional = b.value() ? new SchemaNode.Any() : null;
            } else if (value instanceof Json.Obj) {
                additional = node(value, path + "/additionalProperties");
            } else {
                throw fail(path, "additionalProperties must be a boolean or a schema");
            }
        } else if (!schema.has("properties")) {
            // {"type": "object"} on its own accepts any object
            additional = new SchemaNode.Any();
        }
        return new SchemaNode.Obj(properties, additional);
    }

    private SchemaNode array(Json.Obj schema, String path) {
        SchemaNode items;
        if (schema.has("items") || schema.has("prefixItems")) {
            // "items" wins when both are present; a schema instead of an array is the item schema
            String key = schema.has("items") ? "items" : "prefixItems";
            Json value = schema.get(key);
            if (value instanceof Json.Arr arr) {
                var tuple = new ArrayList<SchemaNode>();
                for (int i = 0; i < arr.items().size(); i++) {
                    tuple.add(node(arr.items().get(i), path + "/" + key + "/" + i));
                }
                return new SchemaNode.Tuple(tuple);
            }
            items = node(value, path + "/" + key);
        } else {
            items = new SchemaNode.Any();
        }
        return new SchemaNode.Array(items, count(schema, "minItems", path, 0), count(schema, "maxItems", path, -1));
    }

    private SchemaNode string(Json.Obj schema, String path) {
        String pattern = "";
        if (schema.has("pattern")) {
            if (!(schema.get("pattern") instanceof Json.Str s)) {
                throw fail(path, "pattern must be a string");
            }
            pattern = s.value();
        }
        return new SchemaNode.Str(pattern, format(schema, path), count(schema, "minLength", path, 0),
                count(schema, "maxLength", path, -1));
    }

    private SchemaNode integer(Json.Obj schema, String path) {
        long minimum = Long.MIN_VALUE;
        long maximum = Long.MAX_VALUE;
        if (schema.has("minimum")) {
            minimum = bound(schema, "minimum", path, Math::ceil);
        } else if (schema.has("exclusiveMinimum")) {
            minimum = bound(schema, "exclusiveMinimum", path, Math::floor) + 1;
        }
        if (schema.has("maximum")) {
            maximum = bound(schema, "maximum", path, Math::floor);
        } else if (schema.has("exclusiveMaximum")) {
            maximum = bound(schema, "exclusiveMaximum", path, Math::ceil) - 1;
        }
        return new SchemaNode.Int(minimum, maximum);
    }

    /** A non-negative count, read as llama.cpp reads it (a C {@code int}: the low 32 bits of the integer). */
    private static int count(Json.Obj schema, String key, String path, int def) {
        if (!schema.has(key)) {
            return def;
        }
        if (!(schema.get(key) instanceof Json.Num n) || !n.isInteger() || (int) n.asLong() < 0) {
            throw fail(path, key + " must be a non-negative integer");
        }
        return (int) n.asLong();
    }

    /**
     * An integer bound; a fractional one is rounded inwards. A rounded value outside the 64-bit range becomes
     * {@link Long#MIN_VALUE} (no bound), as the x86 conversion llama.cpp relies on gives.
     */
    private static long bound(Json.Obj schema, String key, String path, Function<Double, Double> round) {
        if (!(schema.get(key) instanceof Json.Num n)) {
            throw fail(path, key + " must be a number");
        }
        if (n.isInteger()) {
            return n.asLong();
        }
        double d = round.apply(n.asDouble());
        return d >= -0x1p63 && d < 0x1p63 ? (long) d : Long.MIN_VALUE;
    }

    private static SchemaNode.Format format(Json.Obj schema, String path) {
        if (!schema.has("format")) {
            return SchemaNode.Format.NONE;
        }
        if (!(schema.get("format") instanceof Json.Str s)) {
            throw fail(path, "format must be a string");
        }
        String format = s.value();
        return switch (format) {
            case "date" -> SchemaNode.Format.DATE;
            case "time" -> SchemaNode.Format.TIME;
            case "date-time" -> SchemaNode.Format.DATE_TIME;
            case "uuid", "uuid1", "uuid2", "uuid3", "uuid4", "uuid5" -> SchemaNode.Format.UUID;
            default -> SchemaNode.Format.NONE;
        };
    }
}
