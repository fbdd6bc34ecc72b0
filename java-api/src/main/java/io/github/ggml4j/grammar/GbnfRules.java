package io.github.ggml4j.grammar;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The rules of a grammar being built, kept sorted by name as the output lists them, and the built-in rules every
 * schema conversion draws from (llama.cpp's primitive and string-format rules, text for text). A rule added under
 * a name that holds a different rule gets the first free name with a numeric suffix. Internal to the grammar
 * package.
 */
final class GbnfRules {

    /** A built-in rule and the built-in rules it uses. */
    record Builtin(String content, List<String> deps) {
        Builtin {
            deps = List.copyOf(deps);
        }
    }

    /** The whitespace rule every grammar starts with. */
    static final String SPACE_RULE = "| \" \" | \"\\n\"{1,2} [ \\t]{0,20}";

    static final Map<String, Builtin> PRIMITIVES = Map.ofEntries(
            Map.entry("boolean", new Builtin("(\"true\" | \"false\")", List.of())),
            Map.entry("decimal-part", new Builtin("[0-9]{1,16}", List.of())),
            Map.entry("integral-part", new Builtin("[0] | [1-9] [0-9]{0,15}", List.of())),
            Map.entry("number", new Builtin(
                    "(\"-\"? integral-part) (\".\" decimal-part)? ([eE] [-+]? integral-part)?",
                    List.of("integral-part", "decimal-part"))),
            Map.entry("integer", new Builtin("(\"-\"? integral-part)", List.of("integral-part"))),
            Map.entry("value", new Builtin("object | array | string | number | boolean | null",
                    List.of("object", "array", "string", "number", "boolean", "null"))),
            Map.entry("object", new Builtin(
                    "\"{\" space ( string \":\" space value (\",\" space string \":\" space value)* )? space \"}\"",
                    List.of("string", "value"))),
            Map.entry("array", new Builtin("\"[\" space ( value (\",\" space value)* )? space \"]\"",
                    List.of("value"))),
            Map.entry("uuid", new Builtin("\"\\\"\" [0-9a-fA-F]{8} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" "
                    + "[0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{12} \"\\\"\"", List.of())),
            Map.entry("char", new Builtin("[^\"\\\\\\x7F\\x00-\\x1F] | [\\\\] ([\"\\\\bfnrt] | \"u\" [0-9a-fA-F]{4})",
                    List.of())),
            Map.entry("string", new Builtin("\"\\\"\" char* \"\\\"\"", List.of("char"))),
            Map.entry("null", new Builtin("\"null\"", List.of())));

    static final Map<String, Builtin> STRING_FORMATS = Map.of(
            "date", new Builtin("[0-9]{4} \"-\" ( \"0\" [1-9] | \"1\" [0-2] ) \"-\" "
                    + "( \"0\" [1-9] | [1-2] [0-9] | \"3\" [0-1] )", List.of()),
            "time", new Builtin("([01] [0-9] | \"2\" [0-3]) \":\" [0-5] [0-9] \":\" [0-5] [0-9] "
                    + "( \".\" [0-9]{3} )? ( \"Z\" | ( \"+\" | \"-\" ) ( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] )",
                    List.of()),
            "date-time", new Builtin("date \"T\" time", List.of("date", "time")),
            "date-string", new Builtin("\"\\\"\" date \"\\\"\"", List.of("date")),
            "time-string", new Builtin("\"\\\"\" time \"\\\"\"", List.of("time")),
            "date-time-string", new Builtin("\"\\\"\" date-time \"\\\"\"", List.of("date-time")));

    private static final Pattern INVALID_RULE_CHARS = Pattern.compile("[^a-zA-Z0-9-]+");

    private TreeMap<String, String> rules = new TreeMap<>();

    GbnfRules() {
        rules.put("space", SPACE_RULE);
    }

    /** Whether {@code name} is "root" or the name of a built-in rule: a schema rule of that name gets a "-". */
    static boolean isReserved(String name) {
        return name.equals("root") || PRIMITIVES.containsKey(name) || STRING_FORMATS.containsKey(name);
    }

    /** {@code name} with every run of characters outside [a-zA-Z0-9-] replaced by one "-". */
    static String escapeName(String name) {
        return INVALID_RULE_CHARS.matcher(name).replaceAll("-");
    }

    /** {@code literal} as a GBNF string literal: quoted, with CR, LF, quote and backslash escaped. */
    static String formatLiteral(String literal) {
        var out = new StringBuilder(literal.length() + 2).append('"');
        for (int i = 0; i < literal.length(); i++) {
            char c = literal.charAt(i);
            switch (c) {
                case '\r' -> out.append("\\r");
                case '\n' -> out.append("\\n");
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> out.append(c);
            }
        }
        return out.append('"').toString();
    }

    /** Adds {@code rule} under {@code name} (escaped), or under the first free suffixed name; returns the name. */
    String add(String name, String rule) {
        String esc = escapeName(name);
        String existing = rules.get(esc);
        if (existing == null || existing.equals(rule)) {
            rules.put(esc, rule);
            return esc;
        }
        int i = 0;
        while (rules.containsKey(esc + i) && !rules.get(esc + i).equals(rule)) {
            i++;
        }
        String key = esc + i;
        rules.put(key, rule);
        return key;
    }

    /** Adds a built-in rule under {@code name}, and the built-in rules it uses that are not there yet. */
    String addPrimitive(String name, Builtin rule) {
        String n = add(name, rule.content());
        for (String dep : rule.deps()) {
            Builtin depRule = PRIMITIVES.containsKey(dep) ? PRIMITIVES.get(dep) : STRING_FORMATS.get(dep);
            if (!rules.containsKey(dep)) {
                addPrimitive(dep, depRule);
            }
        }
        return n;
    }

    /** Adds the primitive rule {@code type} under its own name and returns that name. */
    String primitive(String type) {
        return addPrimitive(type, PRIMITIVES.get(type));
    }

    boolean contains(String name) {
        return rules.containsKey(name);
    }

    /** A copy of the rules, to {@link #restore} when a conversion step is abandoned. */
    Map<String, String> snapshot() {
        return new TreeMap<>(rules);
    }

    /** Puts back the rules of a {@link #snapshot}. */
    void restore(Map<String, String> snapshot) {
        rules = new TreeMap<>(snapshot);
    }

    /** The grammar: one "name ::= rule" line per rule, sorted by name. */
    String format() {
        var out = new StringBuilder();
        for (var e : rules.entrySet()) {
            out.append(e.getKey()).append(" ::= ").append(e.getValue()).append('\n');
        }
        return out.toString();
    }
}
