package io.github.ggml4j.grammar;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The grammar of a JSON object with declared properties, laid out as llama.cpp lays it out: a {@code NAME-kv}
 * rule per property; the required properties first, in schema order; then the optional ones in schema order, each
 * alternative starting at one of them and continuing through {@code NAME-rest} rules; additional properties, when
 * allowed, as a {@code *}-repeated last entry whose key must not be a declared name. Internal to the grammar
 * package.
 */
final class ObjectRules {

    /** The key under which the additional properties' rule is kept among the properties' rules. */
    private static final String ADDITIONAL = "*";

    private ObjectRules() {
    }

    /**
     * Writes the rules of the properties and returns the object's rule body.
     *
     * @param properties name and schema of each property, in order (a name may repeat, as allOf can give)
     * @param additional the schema of additional properties, or {@code null} when there are none
     */
    static String build(SchemaVisitor visitor, List<Map.Entry<String, SchemaNode>> properties,
            Set<String> required, String name, SchemaNode additional) {
        GbnfRules rules = visitor.rules();
        String prefix = name.isEmpty() ? "" : name + "-";
        var requiredProps = new ArrayList<String>();
        var optionalProps = new ArrayList<String>();
        var kvRules = new HashMap<String, String>();
        var propNames = new ArrayList<String>();
        for (var p : properties) {
            String propName = p.getKey();
            String propRule = visitor.visit(p.getValue(), prefix + propName);
            kvRules.put(propName, rules.add(prefix + propName + "-kv",
                    SchemaVisitor.constant(new Json.Str(propName)) + " space \":\" space " + propRule));
            if (required.contains(propName)) {
                requiredProps.add(propName);
            } else {
                optionalProps.add(propName);
            }
            propNames.add(propName);
        }
        if (additional != null) {
            String subName = prefix + "additional";
            String valueRule = additional instanceof SchemaNode.Any
                    ? rules.primitive("value")
                    : visitor.visit(additional, subName + "-value");
            String keyRule;
            if (propNames.isEmpty()) {
                keyRule = rules.primitive("string");
            } else {
                String charRule = rules.primitive("char");
                keyRule = rules.add(subName + "-k", NotStrings.rule(propNames, charRule));
            }
            kvRules.put(ADDITIONAL, rules.add(subName + "-kv", keyRule + " \":\" space " + valueRule));
            optionalProps.add(ADDITIONAL);
        }

        if (requiredProps.isEmpty() && optionalProps.isEmpty()) {
            return "\"{\" space \"}\"";
        }
        var rule = new StringBuilder("\"{\" space ");
        for (int i = 0; i < requiredProps.size(); i++) {
            if (i > 0) {
                rule.append(" \",\" space ");
            }
            rule.append(kvRules.get(requiredProps.get(i)));
        }
        if (!optionalProps.isEmpty()) {
            rule.append(" (");
            if (!requiredProps.isEmpty()) {
                rule.append(" \",\" space ( ");
            }
            int n = optionalProps.size();
            // rest[j]: the rule for the optional properties after j, written from the last one back
            var rest = new String[n];
            for (int j = n - 2; j >= 0; j--) {
                String next = optionalProps.get(j + 1);
                String body = commaRef(kvRules.get(next)) + (next.equals(ADDITIONAL) ? "*" : "?")
                        + (j + 1 < n - 1 ? " " + rest[j + 1] : "");
                rest[j] = rules.add(prefix + optionalProps.get(j) + "-rest", body);
            }
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    rule.append(" | ");
                }
                String k = optionalProps.get(i);
                String kv = kvRules.get(k);
                rule.append(kv);
                if (k.equals(ADDITIONAL)) {
                    rule.append(' ').append(commaRef(kv)).append('*');
                }
                if (i < n - 1) {
                    rule.append(' ').append(rest[i]);
                }
            }
            if (!requiredProps.isEmpty()) {
                rule.append(" )");
            }
            rule.append(" )?");
        }
        return rule.append(" space \"}\"").toString();
    }

    private static String commaRef(String kvRule) {
        return "( \",\" space " + kvRule + " )";
    }
}
