package io.github.ggml4j.grammar;

import java.util.AbstractMap.SimpleEntry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes the grammar rules of {@link SchemaNode}s, rule for rule and name for name as llama.cpp's converter
 * ({@code common/json-schema-to-grammar.cpp}) writes them: a rule per schema node named after its path
 * (properties, {@code item}, {@code tuple-N}, {@code alternative-N}, {@code ref-...}), the built-in rules it uses,
 * objects as required properties in order followed by optional ones in order. A pattern with no grammar
 * equivalent degrades to any string (with a warning); an invalid pattern is an error, reported with every other
 * error by {@link #checkErrors()}. Internal to the grammar package.
 */
final class SchemaVisitor {

    /** The deepest nesting of visits accepted, {@code $ref} targets included. */
    static final int MAX_DEPTH = SchemaBuilder.MAX_DEPTH;

    private final GbnfRules rules = new GbnfRules();
    private final Map<String, SchemaNode> refs;
    private final boolean dotAll;
    private final Set<String> resolving = new HashSet<>();
    private final List<String> errors = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private int depth;

    /**
     * @param refs the targets of the document's references
     * @param dotAll whether "." in a pattern matches line breaks too
     */
    SchemaVisitor(Map<String, SchemaNode> refs, boolean dotAll) {
        this.refs = Map.copyOf(refs);
        this.dotAll = dotAll;
    }

    /** The rules written so far. */
    GbnfRules rules() {
        return rules;
    }

    /** The patterns that were converted as any string, one line each. */
    List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** Throws the errors collected while visiting, all of them in one exception. */
    void checkErrors() {
        if (!errors.isEmpty()) {
            throw new GrammarException("JSON schema conversion failed:\n" + String.join("\n", errors));
        }
    }

    /** Writes the rules of {@code schema} under {@code name} ("" for the root) and returns the rule to use. */
    String visit(SchemaNode schema, String name) {
        if (++depth > MAX_DEPTH) {
            throw new GrammarException("JSON schema conversion failed: schema nested deeper than " + MAX_DEPTH
                    + " levels (counting $ref chains) at rule " + name);
        }
        try {
            return visitNode(schema, name);
        } finally {
            depth--;
        }
    }

    private String visitNode(SchemaNode schema, String name) {
        String ruleName = GbnfRules.isReserved(name) ? name + "-" : name.isEmpty() ? "root" : name;
        String subName = name.isEmpty() ? "" : name + "-";
        return switch (schema) {
            case SchemaNode.Ref r -> rules.add(ruleName, resolveRef(r.ref()));
            case SchemaNode.AnyOf a -> rules.add(ruleName, union(name, a.children()));
            case SchemaNode.AllOf a -> allOf(a, name, ruleName);
            case SchemaNode.Const c -> rules.add(ruleName, constant(c.value()));
            case SchemaNode.Enum e -> {
                var values = new ArrayList<String>();
                for (Json v : e.values()) {
                    values.add(constant(v));
                }
                yield rules.add(ruleName, "(" + String.join(" | ", values) + ")");
            }
            case SchemaNode.Obj o -> {
                if (o.properties().isEmpty() && o.additionalProperties() instanceof SchemaNode.Any) {
                    yield rules.add(ruleName, rules.primitive("object"));
                }
                var properties = new ArrayList<Map.Entry<String, SchemaNode>>();
                var required = new HashSet<String>();
                for (var p : o.properties()) {
                    properties.add(new SimpleEntry<>(p.name(), p.schema()));
                    if (p.required()) {
                        required.add(p.name());
                    }
                }
                yield rules.add(ruleName, ObjectRules.build(this, properties, required, name,
                        o.additionalProperties()));
            }
            case SchemaNode.Tuple t -> {
                var rule = new StringBuilder("\"[\" space ");
                for (int i = 0; i < t.items().size(); i++) {
                    if (i > 0) {
                        rule.append(" \",\" space ");
                    }
                    rule.append(visit(t.items().get(i), subName + "tuple-" + i));
                }
                yield rules.add(ruleName, rule.append(" space \"]\"").toString());
            }
            case SchemaNode.Array a -> {
                if (a.items() instanceof SchemaNode.Any && a.minItems() == 0 && a.maxItems() < 0) {
                    yield primitive(ruleName, "array");
                }
                String item = visit(a.items(), subName + "item");
                int max = a.maxItems() < 0 ? Integer.MAX_VALUE : a.maxItems();
                yield rules.add(ruleName, "\"[\" space " + RangeRules.repetition(item, a.minItems(), max,
                        "\",\" space") + " space \"]\"");
            }
            case SchemaNode.Str s -> string(s, ruleName);
            case SchemaNode.Int i -> i.minimum() == Long.MIN_VALUE && i.maximum() == Long.MAX_VALUE
                    ? primitive(ruleName, "integer")
                    : rules.add(ruleName, "(" + RangeRules.integerRange(i.minimum(), i.maximum()) + ")");
            case SchemaNode.Num n -> primitive(ruleName, "number");
            case SchemaNode.Bool b -> primitive(ruleName, "boolean");
            case SchemaNode.Null n -> primitive(ruleName, "null");
            case SchemaNode.Any any -> rules.add(ruleName, rules.primitive("value"));
        };
    }

    private String string(SchemaNode.Str s, String ruleName) {
        if (!s.pattern().isEmpty()) {
            return pattern(s.pattern(), ruleName);
        }
        if (s.format() == SchemaNode.Format.UUID) {
            return primitive(ruleName, "uuid");
        }
        if (s.format() != SchemaNode.Format.NONE) {
            String prim = switch (s.format()) {
                case DATE -> "date";
                case TIME -> "time";
                default -> "date-time";
            } + "-string";
            return rules.add(ruleName, rules.addPrimitive(prim, GbnfRules.STRING_FORMATS.get(prim)));
        }
        if (s.minLength() > 0 || s.maxLength() >= 0) {
            String charRule = rules.primitive("char");
            int max = s.maxLength() < 0 ? Integer.MAX_VALUE : s.maxLength();
            return rules.add(ruleName, "\"\\\"\" " + RangeRules.repetition(charRule, s.minLength(), max, "")
                    + " \"\\\"\"");
        }
        return primitive(ruleName, "string");
    }

    /** A built-in rule: under "root" when the schema is the root, else under its own name. */
    private String primitive(String ruleName, String type) {
        return rules.addPrimitive(ruleName.equals("root") ? "root" : type, GbnfRules.PRIMITIVES.get(type));
    }

    private String pattern(String pattern, String name) {
        Map<String, String> snapshot = rules.snapshot();
        try {
            return PatternRules.convert(rules, dotAll, pattern, name);
        } catch (PatternRules.Unsupported e) {
            rules.restore(snapshot);
            warnings.add("pattern " + pattern + " is not supported (" + e.getMessage() + "), accepting any string");
            return rules.add(name, rules.primitive("string"));
        } catch (PatternRules.Invalid e) {
            rules.restore(snapshot);
            errors.add("Invalid pattern " + pattern + ": " + e.getMessage());
            return "";
        }
    }

    /** The grammar literal of a constant: its compact JSON text. */
    static String constant(Json value) {
        return GbnfRules.formatLiteral(value.dump());
    }

    private String union(String name, List<SchemaNode> alternatives) {
        var parts = new ArrayList<String>();
        for (int i = 0; i < alternatives.size(); i++) {
            parts.add(visit(alternatives.get(i), name + (name.isEmpty() ? "alternative-" : "-") + i));
        }
        return String.join(" | ", parts);
    }

    private String resolveRef(String ref) {
        int hash = ref.indexOf('#');
        String fragment = hash >= 0 ? ref.substring(hash + 1) : ref;
        String refName = "ref" + GbnfRules.escapeName(fragment);
        if (!rules.contains(refName) && !resolving.contains(ref)) {
            SchemaNode target = refs.get(ref);
            if (target == null) {
                errors.add("Unresolved $ref " + ref);
                return "";
            }
            resolving.add(ref);
            refName = visit(target, refName);
            resolving.remove(ref);
        }
        return refName;
    }

    /**
     * allOf: the intersection of the enums when its parts have one, else one object of the properties of every
     * object part (those of a part under an anyOf optional, the others required).
     */
    private String allOf(SchemaNode.AllOf schema, String name, String ruleName) {
        var required = new HashSet<String>();
        var properties = new ArrayList<Map.Entry<String, SchemaNode>>();
        var enumValues = new TreeMap<String, Integer>(SchemaVisitor::compareCodePoints);
        for (SchemaNode child : schema.children()) {
            if (child instanceof SchemaNode.AnyOf any) {
                for (SchemaNode alt : any.children()) {
                    addComponent(alt, false, required, properties, enumValues);
                }
            } else {
                addComponent(child, true, required, properties, enumValues);
            }
        }
        if (!enumValues.isEmpty()) {
            var intersection = new ArrayList<String>();
            for (var e : enumValues.entrySet()) {
                if (e.getValue() == schema.children().size()) {
                    intersection.add(e.getKey());
                }
            }
            if (!intersection.isEmpty()) {
                return rules.add(ruleName, "(" + String.join(" | ", intersection) + ")");
            }
        }
        return rules.add(ruleName, ObjectRules.build(this, properties, required, name, null));
    }

    private void addComponent(SchemaNode comp, boolean isRequired, Set<String> required,
            List<Map.Entry<String, SchemaNode>> properties, Map<String, Integer> enumValues) {
        // follow a chain of references; a cycle contributes nothing (llama.cpp would recurse without end)
        var seen = new HashSet<String>();
        while (comp instanceof SchemaNode.Ref r) {
            if (!seen.add(r.ref())) {
                return;
            }
            comp = refs.get(r.ref());
            if (comp == null) {
                return;
            }
        }
        if (comp instanceof SchemaNode.Obj o) {
            for (var p : o.properties()) {
                properties.add(new SimpleEntry<>(p.name(), p.schema()));
                if (isRequired) {
                    required.add(p.name());
                }
            }
        } else if (comp instanceof SchemaNode.Enum e) {
            for (Json v : e.values()) {
                enumValues.merge(constant(v), 1, Integer::sum);
            }
        }
    }

    /** Code point order, which is the byte order of the UTF-8 texts llama.cpp sorts. */
    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
