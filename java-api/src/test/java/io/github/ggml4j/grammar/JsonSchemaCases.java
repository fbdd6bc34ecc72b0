package io.github.ggml4j.grammar;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The test cases of llama.cpp's {@code tests/test-json-schema-to-grammar.cpp}, as data: the resource
 * {@code json-schema-cases.txt} written by {@code scripts/extract-json-schema-cases.py}.
 */
final class JsonSchemaCases {

    /**
     * One case.
     *
     * @param grammar the expected grammar, as the C++ test normalises it (no indentation, no blank ends)
     */
    record Case(String name, boolean success, String schema, String grammar) {
        Case {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(schema, "schema");
            Objects.requireNonNull(grammar, "grammar");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private JsonSchemaCases() {
    }

    static List<Case> load() {
        String text;
        try (InputStream in = JsonSchemaCases.class.getResourceAsStream("json-schema-cases.txt")) {
            if (in == null) {
                throw new IllegalStateException("json-schema-cases.txt is missing from the test resources");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var cases = new ArrayList<Case>();
        String[] lines = text.split("\n", -1);
        int i = 0;
        while (i < lines.length) {
            if (!lines[i].startsWith("=== ")) {
                i++;
                continue;
            }
            String name = lines[i].substring(4);
            String status = lines[i + 1];
            if (!status.equals("status: SUCCESS") && !status.equals("status: FAILURE")) {
                throw new IllegalStateException("bad status line for " + name + ": " + status);
            }
            if (!lines[i + 2].equals("--- schema")) {
                throw new IllegalStateException("no schema for " + name);
            }
            i += 3;
            int start = i;
            while (!lines[i].equals("--- grammar")) {
                i++;
            }
            String schema = String.join("\n", List.of(lines).subList(start, i));
            start = ++i;
            while (i < lines.length && !lines[i].startsWith("=== ")) {
                i++;
            }
            // the block ends with the line break after the grammar's last line
            String grammar = String.join("\n", List.of(lines).subList(start, i));
            if (grammar.endsWith("\n")) {
                grammar = grammar.substring(0, grammar.length() - 1);
            }
            cases.add(new Case(name, status.endsWith("SUCCESS"), schema, grammar));
        }
        return cases;
    }
}
