package io.github.ggml4j.grammar;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random JSON Schema texts over every keyword the converter reads, with awkward values mixed in: property names
 * that collide with built-in rule names or escape to the same rule name, non-ASCII names, cyclic and chained
 * {@code $ref}s, fractional, exclusive, inverted and 64-bit-edge integer bounds, patterns inside and outside the
 * supported subset, invalid keyword values. Deterministic for a seed.
 */
final class RandomSchemas {

    private static final String[] NAMES = {"a", "b", "aa", "ab", "ac", "name", "number", "root", "string", "char",
        "value", "item", "*", "", "a b", "a-b", "a_b", "é", "日本", "x\"y", "k\\l", "id", "type", "0", "also", "and"};

    private static final String[] PATTERNS = {"^abc$", "^[a-z]+$", "^(foo|bar)*$", "^\\d+$", "^a{2,}$",
        "^a{,3}b$", "^(?:x|y)?z$", "^.{3}$", "^[^\"]*$", "^\\w$", "abc", "^(a$", "^a)$", "^a\\$", "^[a-z$",
        "^a{1,2,3}$", "^a{x}$", "^(a|)$", "^\\x41\\u0042$", "^\\.\\*$", "^a*?b+?$", "^(((a)))$", "^[\\]\\-\\\\]$",
        "^\"q\"$", "^héllo$", "^$", "^", "$", "^a|b$", "^(?=a)$", "^(?<n>a)$", "^[0-9]{3}-[0-9]{4}$",
        "^(ab){2}(ab){2}$", "^([a-c]{1,2}|d.)+$", "^a{-1}$", "^a{99999999999}$", "^*a$", "^{2}$", "^a}b$",
        "^a]$", "^[\\d]$", "^\\/$", "^a\\", "^\\t\\n\\r$", "^.$", "^x{0}$", "^x{0,1}$", "^x{1}$", "^x{ 2 }$"};

    private static final String[] FORMATS = {"date", "time", "date-time", "uuid", "uuid1", "uuid5", "uuid6",
        "email", "uri", ""};

    private static final String[] STRINGS = {"", "a", "foo", "with \"quotes\"", "back\\slash", "line\nbreak",
        "tab\tcr\r", "ctl\u0001\u001f\u007f", "é", "日本語", "emoji 😀", "\u2028"};

    private static final String[] NUMBERS = {"0", "-0", "1", "-1", "42", "0.5", "-0.0", "1.0", "1.5", "3.14159",
        "1e20", "1E5", "1e-7", "2.5e+30", "0.1", "0.0001", "0.00001", "123456789012345678", "9223372036854775807",
        "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551615",
        "18446744073709551616", "1e308", "4.9e-324", "100000000000000000000", "123.456e3", "0.30000000000000004"};

    private final Random random;
    private final int defs;
    /** The lowest definition a bare top-level $ref of the definition being written may name (no ref-only cycle). */
    private int refFloor;

    private RandomSchemas(long seed) {
        this.random = new Random(seed);
        this.defs = random.nextInt(4);
    }

    /** {@code count} schema texts for {@code seed}. */
    static List<String> generate(long seed, int count) {
        var out = new ArrayList<String>();
        for (int i = 0; i < count; i++) {
            out.add(new RandomSchemas(seed * 1_000_003L + i).document());
        }
        return out;
    }

    private String document() {
        var b = new StringBuilder("{");
        if (defs > 0) {
            b.append("\"$defs\": {");
            for (int i = 0; i < defs; i++) {
                refFloor = i + 1;
                b.append(i == 0 ? "" : ", ").append("\"d").append(i).append("\": ").append(schema(2));
            }
            b.append("}, ");
        }
        String body = schema(4);
        b.append(body, 1, body.length());
        return b.toString().replace("{, ", "{").replace(", }", "}");
    }

    private String pick(String[] values) {
        return values[random.nextInt(values.length)];
    }

    private String schema(int depth) {
        int floor = refFloor;
        refFloor = 0;
        int kind = random.nextInt(depth <= 0 ? 8 : 17);
        var m = new ArrayList<String>();
        switch (kind) {
            case 0 -> string(m);
            case 1 -> integer(m);
            case 2 -> m.add("\"type\": \"number\"");
            case 3 -> m.add("\"type\": " + pick(new String[] {"\"boolean\"", "\"null\"", "[\"string\", \"null\"]",
                "[\"integer\", \"number\"]", "\"kaboom\"", "123", "[]", "null", "\"\""}));
            case 4 -> m.add("\"const\": " + value(2));
            case 5 -> {
                var values = new ArrayList<String>();
                int n = random.nextInt(5);
                for (int i = 0; i < n; i++) {
                    values.add(value(1));
                }
                m.add("\"enum\": [" + String.join(", ", values) + "]");
            }
            case 6 -> {
                if (random.nextInt(8) == 0) {
                    m.add("\"description\": \"anything\"");
                }
            }
            case 7 -> ref(m, floor);
            case 8, 9, 10 -> object(m, depth);
            case 11, 12 -> array(m, depth);
            case 13, 14 -> {
                String key = pick(new String[] {"anyOf", "oneOf", "allOf", "allOf"});
                var alts = new ArrayList<String>();
                int n = random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    alts.add(schema(depth - 1));
                }
                m.add("\"" + key + "\": [" + String.join(", ", alts) + "]");
                if (random.nextBoolean()) {
                    m.add("\"type\": " + pick(new String[] {"\"object\"", "\"string\"", "\"array\""}));
                }
            }
            case 15 -> {
                m.add("\"type\": [\"object\", \"null\"]");
                object(m, depth);
            }
            default -> {
                m.add("\"allOf\": [" + enumSchema() + ", " + enumSchema() + "]");
            }
        }
        return "{" + String.join(", ", m) + "}";
    }

    private String enumSchema() {
        if (random.nextBoolean()) {
            return "{\"type\": \"string\", \"enum\": [\"a\", \"b\", \"c\", \"" + pick(new String[] {"d", "é", "a"})
                    + "\"]}";
        }
        return defs > 0 ? "{\"$ref\": \"#/$defs/d" + random.nextInt(defs) + "\"}" : "{\"enum\": [1, 2, \"b\"]}";
    }

    private void ref(List<String> m, int floor) {
        int r = random.nextInt(10);
        if (r < 6 && defs > floor) {
            // llama.cpp's allOf follows a chain of bare $refs without end, so no chain may be a cycle
            m.add("\"$ref\": \"#/$defs/d" + (floor + random.nextInt(defs - floor)) + "\"");
        } else {
            m.add("\"$ref\": " + pick(new String[] {"\"#/$defs/missing\"", "\"http://example.com/s.json\"",
                "\"#\"", "\"#/\"", "5", "\"#/properties\"", "\"#/$defs\"", "\"other.json#/a\""}));
        }
    }

    private void string(List<String> m) {
        if (random.nextInt(4) > 0) {
            m.add("\"type\": \"string\"");
        }
        if (random.nextInt(3) == 0) {
            m.add("\"pattern\": " + LlamaCppSchemaConverter.quote(pick(PATTERNS)));
        }
        if (random.nextInt(3) == 0) {
            m.add("\"format\": \"" + pick(FORMATS) + "\"");
        }
        if (random.nextInt(3) == 0) {
            m.add("\"minLength\": " + pick(new String[] {"0", "1", "3", "-1", "1.5", "\"2\"", "4294967297"}));
        }
        if (random.nextInt(3) == 0) {
            m.add("\"maxLength\": " + pick(new String[] {"0", "1", "2", "10"}));
        }
    }

    private void integer(List<String> m) {
        m.add("\"type\": \"integer\"");
        String[] bounds = {"0", "1", "3", "9", "10", "25", "-5", "-123", "42", "300", "207", "-12", "99", "100",
            "1000", "7.5", "-7.5", "1e3", "9223372036854775807", "-9223372036854775808", "9223372036854775806",
            "1e19", "-1e19", "18446744073709551615", "123456789"};
        String[] keys = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"};
        for (String key : keys) {
            if (random.nextInt(3) == 0) {
                m.add("\"" + key + "\": " + pick(bounds));
            }
        }
    }

    private void object(List<String> m, int depth) {
        if (random.nextInt(4) > 0) {
            m.add("\"type\": \"object\"");
        }
        var names = new ArrayList<String>();
        if (random.nextInt(5) > 0) {
            var props = new ArrayList<String>();
            int n = random.nextInt(5);
            for (int i = 0; i < n; i++) {
                String name = pick(NAMES);
                names.add(name);
                props.add(LlamaCppSchemaConverter.quote(name) + ": " + schema(depth - 1));
            }
            m.add("\"properties\": {" + String.join(", ", props) + "}");
        }
        if (random.nextBoolean() && !names.isEmpty()) {
            var req = new ArrayList<String>();
            for (String name : names) {
                if (random.nextBoolean()) {
                    req.add(LlamaCppSchemaConverter.quote(name));
                }
            }
            req.add(random.nextInt(4) == 0 ? "\"zz\"" : "1");
            m.add("\"required\": [" + String.join(", ", req) + "]");
        }
        switch (random.nextInt(6)) {
            case 0 -> m.add("\"additionalProperties\": true");
            case 1 -> m.add("\"additionalProperties\": false");
            case 2 -> m.add("\"additionalProperties\": " + schema(depth - 1));
            case 3 -> {
                if (random.nextInt(4) == 0) {
                    m.add("\"additionalProperties\": 1");
                }
            }
            default -> {
            }
        }
    }

    private void array(List<String> m, int depth) {
        if (random.nextInt(4) > 0) {
            m.add("\"type\": \"array\"");
        }
        switch (random.nextInt(5)) {
            case 0 -> m.add("\"items\": " + schema(depth - 1));
            case 1 -> m.add("\"prefixItems\": " + schema(depth - 1));
            case 2 -> m.add("\"prefixItems\": [" + schema(depth - 1) + ", " + schema(depth - 1) + "]");
            case 3 -> m.add("\"items\": [" + schema(depth - 1) + "]");
            default -> {
            }
        }
        if (random.nextInt(3) == 0) {
            m.add("\"minItems\": " + pick(new String[] {"0", "1", "2", "3", "-1"}));
        }
        if (random.nextInt(3) == 0) {
            m.add("\"maxItems\": " + pick(new String[] {"0", "1", "2", "5"}));
        }
    }

    private String value(int depth) {
        int k = random.nextInt(depth <= 0 ? 5 : 7);
        return switch (k) {
            case 0 -> "null";
            case 1 -> random.nextBoolean() ? "true" : "false";
            case 2 -> pick(NUMBERS);
            case 3 -> Double.toString((random.nextDouble() - 0.5) * Math.pow(10, random.nextInt(40) - 20));
            case 4 -> LlamaCppSchemaConverter.quote(pick(STRINGS));
            case 5 -> "[" + value(depth - 1) + ", " + value(depth - 1) + "]";
            default -> "{" + LlamaCppSchemaConverter.quote(pick(NAMES)) + ": " + value(depth - 1) + ", "
                    + LlamaCppSchemaConverter.quote(pick(NAMES)) + ": " + value(depth - 1) + "}";
        };
    }
}
