package io.github.ggml4j.grammar;

import io.github.ggml4j.perf.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The pinned llama.cpp tree's grammar test cases as data (tests/src/test/resources/grammar, converted from
 * tests/test-grammar-parser.cpp and tests/test-grammar-integration.cpp by scripts/grammar-cases.py), and the
 * way those tests feed a grammar: text one code point at a time as token 0, {@code token(id)} as the token with
 * the piece {@code <[id]>}.
 */
final class GrammarCases {

    private GrammarCases() {
    }

    static Object load(String name) {
        try (InputStream in = GrammarCases.class.getResourceAsStream("/grammar/" + name)) {
            if (in == null) {
                throw new AssertionError("missing test resource grammar/" + name);
            }
            return Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Object> parserCases() {
        return Json.array(load("grammar-parser-cases.json"));
    }

    static Map<String, Object> integrationCases() {
        return Json.object(load("grammar-integration-cases.json"));
    }

    /** llama.cpp's match_string: feeds the sequence, false as soon as no stack is left; then complete? */
    static boolean matches(Matcher m, List<Object> seq) {
        for (Object item : seq) {
            if (item instanceof String text) {
                int[] cps = text.codePoints().toArray();
                for (int cp : cps) {
                    if (!m.accept(0, new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8))) {
                        return false;
                    }
                }
            } else {
                int id = (int) Json.number(item);
                if (!m.accept(id, ("<[" + id + "]>").getBytes(StandardCharsets.UTF_8))) {
                    return false;
                }
            }
        }
        return m.complete();
    }
}
