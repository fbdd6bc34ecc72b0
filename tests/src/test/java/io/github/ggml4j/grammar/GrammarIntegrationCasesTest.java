package io.github.ggml4j.grammar;

import io.github.ggml4j.perf.Json;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cases of the pinned tree's tests/test-grammar-integration.cpp: strings each grammar (and each JSON
 * Schema, through {@link Grammar#jsonSchema}) must accept and must refuse, fed as that test feeds them, and the
 * grammars that must not build (left recursion, an undefined rule, a missing root).
 */
class GrammarIntegrationCasesTest {

    @Test
    void stringsAcceptedAndRefusedAsInLlamaCpp() {
        List<Object> grammars = Json.array(GrammarCases.integrationCases().get("grammars"));
        assertEquals(14, grammars.size(), "test_grammar cases converted from test-grammar-integration.cpp");
        assertEquals(139, checkStrings(grammars, o -> Grammar.gbnf(Json.string(o.get("grammar")))), "strings checked");
    }

    @Test
    void schemaStringsAcceptedAndRefusedAsInLlamaCpp() {
        List<Object> schemas = Json.array(GrammarCases.integrationCases().get("schemas"));
        assertEquals(33, schemas.size(), "test_schema cases converted from test-grammar-integration.cpp");
        assertEquals(248, checkStrings(schemas, o -> Grammar.jsonSchema(Json.string(o.get("schema")))),
                "strings checked");
    }

    /** Feeds each case's "pass" strings (must be accepted) and "fail" strings (must not); returns how many. */
    private static int checkStrings(List<Object> cases, Function<Map<String, Object>, Grammar> grammar) {
        int checked = 0;
        for (Object c : cases) {
            Map<String, Object> o = Json.object(c);
            String desc = Json.string(o.get("desc"));
            Grammar g = grammar.apply(o);
            for (Object s : Json.array(o.get("pass"))) {
                assertTrue(GrammarCases.matches(g.matcher(), Json.array(s)), desc + ": must accept " + s);
                checked++;
            }
            for (Object s : Json.array(o.get("fail"))) {
                assertFalse(GrammarCases.matches(g.matcher(), Json.array(s)), desc + ": must refuse " + s);
                checked++;
            }
        }
        return checked;
    }

    @Test
    void grammarsThatMustNotBuild() {
        List<Object> builds = Json.array(GrammarCases.integrationCases().get("builds"));
        assertEquals(9, builds.size());
        for (Object c : builds) {
            Map<String, Object> o = Json.object(c);
            String text = Json.string(o.get("grammar"));
            String root = Json.string(o.get("root"));
            if (Boolean.TRUE.equals(o.get("ok"))) {
                Grammar.gbnf(text, root);
            } else {
                assertThrows(GrammarException.class, () -> Grammar.gbnf(text, root), text + " (root " + root + ")");
            }
        }
    }
}
