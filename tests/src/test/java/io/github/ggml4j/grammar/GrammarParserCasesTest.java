package io.github.ggml4j.grammar;

import io.github.ggml4j.perf.Json;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every case of the pinned tree's tests/test-grammar-parser.cpp: the parsed symbol table and rule elements
 * equal the expected ones written in that file, and its malformed grammars are refused with a GrammarException.
 */
class GrammarParserCasesTest {

    @Test
    void everyParserCaseOfLlamaCpp() {
        List<Object> cases = GrammarCases.parserCases();
        assertEquals(23, cases.size(), "cases converted from test-grammar-parser.cpp");
        int failures = 0;
        for (Object c : cases) {
            Map<String, Object> o = Json.object(c);
            String text = Json.string(o.get("grammar"));
            if (o.containsKey("fails")) {
                assertThrows(GrammarException.class, () -> GbnfParser.parse(text, null), text);
                failures++;
                continue;
            }
            GbnfParser.Parsed p = GbnfParser.parse(text, null);
            Map<String, Integer> expectedSymbols = new TreeMap<>();
            Json.object(o.get("symbols")).forEach((k, v) -> expectedSymbols.put(k, (int) Json.number(v)));
            assertEquals(expectedSymbols, new TreeMap<>(p.symbols()), "symbols of " + text);
            List<List<Integer>> expected = new ArrayList<>();
            for (Object e : Json.array(o.get("rules"))) {
                List<Object> pair = Json.array(e);
                expected.add(List.of((int) Json.number(pair.get(0)), (int) Json.number(pair.get(1))));
            }
            List<List<Integer>> actual = new ArrayList<>();
            for (int[] rule : p.rules()) {
                for (int i = 0; i < rule.length; i += 2) {
                    actual.add(List.of(rule[i], rule[i + 1]));
                }
            }
            assertEquals(expected, actual, "rules of " + text);
        }
        assertEquals(6, failures);
    }
}
