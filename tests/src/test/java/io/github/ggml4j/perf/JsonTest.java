package io.github.ggml4j.perf;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {

    @Test
    void parsesAllValueKinds() {
        Map<String, Object> o = Json.object(Json.parse(
                " {\"a\": [1, -2.5e3, true, false, null], \"s\": \"x\\\"\\\\\\n\\u00e9/\", \"e\": {}, \"l\": []} "));
        assertEquals(List.of(1.0, -2500.0, true, false), Json.array(o.get("a")).subList(0, 4));
        assertNull(Json.array(o.get("a")).get(4));
        assertEquals("x\"\\\né/", o.get("s"));
        assertEquals(Map.of(), o.get("e"));
        assertEquals(List.of(), o.get("l"));
        assertEquals(List.of("a", "s", "e", "l"), List.copyOf(o.keySet()), "keys keep file order");
    }

    @Test
    void readsJmhNaNStrings() {
        assertTrue(Double.isNaN(Json.number("NaN")));
        assertTrue(Double.isNaN(Json.number(null)));
        assertThrows(IllegalArgumentException.class, () -> Json.number("12"));
    }

    @Test
    void rejectsMalformedInput() {
        for (String bad : Arrays.asList("", "{", "[1,", "{\"a\" 1}", "[1] x", "\"abc", "{1: 2}", "tru", "\"\\q\"", "-")) {
            assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
        }
    }

    @Test
    void writesWhatItReads() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", 1234.5);
        m.put("i", 7);
        m.put("nan", Double.NaN);
        m.put("s", "tab\there \"q\" \u0001");
        m.put("l", List.of(1.0, "two", false));
        m.put("empty", Map.of());
        Map<String, Object> back = Json.object(Json.parse(Json.write(m)));
        assertEquals(1234.5, back.get("n"));
        assertEquals(7.0, back.get("i"));
        assertNull(back.get("nan"));
        assertEquals(m.get("s"), back.get("s"));
        assertEquals(List.of(1.0, "two", false), back.get("l"));
        assertEquals(Map.of(), back.get("empty"));
    }
}
