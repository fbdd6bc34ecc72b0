package io.github.ggml4j.grammar;

import io.github.ggml4j.nativ.NativeLoader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * llama.cpp's own JSON-Schema-to-grammar converter: runs {@code ggml4j-schema-ref}
 * (native/reference/ggml4j-schema-ref.cpp over the pinned tree's {@code json_schema_to_grammar}) on a batch of
 * schemas. The harness is built with the natives, so a missing binary fails the test.
 */
final class LlamaCppSchemaConverter {

    /**
     * One conversion.
     *
     * @param status "ok" (text: the grammar), "error" (refused), "json" (not JSON), "exception" (any other
     *        exception) or "crash" (the harness died on it)
     */
    record Result(String status, String text) {
        boolean ok() {
            return status.equals("ok");
        }
    }

    private LlamaCppSchemaConverter() {
    }

    /**
     * Converts every schema. A schema on which the harness crashes (llama.cpp's converter recurses without end on
     * some inputs) gets the status "crash", and the harness is restarted on the schemas after it.
     */
    static List<Result> convert(List<String> schemas) {
        var results = new ArrayList<Result>();
        while (results.size() < schemas.size()) {
            List<String> rest = schemas.subList(results.size(), schemas.size());
            Run run = run(rest);
            results.addAll(run.results());
            if (run.exitCode() != 0) {
                if (run.results().size() >= rest.size()) {
                    throw new AssertionError("ggml4j-schema-ref failed (" + run.exitCode() + ") after the last schema");
                }
                results.add(new Result("crash", "exit code " + run.exitCode()));
            }
        }
        return results;
    }

    private record Run(List<Result> results, int exitCode) {
    }

    private static Run run(List<String> schemas) {
        Path bin = NativeLoader.ensureLoaded().extraBinDir().orElseThrow().resolve("ggml4j-schema-ref");
        if (!Files.isExecutable(bin)) {
            throw new AssertionError("JSON schema reference " + bin + " is missing; rebuild the natives");
        }
        try {
            Path input = Files.createTempFile("ggml4j-schemas-", ".json");
            try {
                var json = new StringBuilder("[");
                for (int i = 0; i < schemas.size(); i++) {
                    json.append(i == 0 ? "" : ",\n").append(quote(schemas.get(i)));
                }
                Files.writeString(input, json.append(']'));
                Process p = new ProcessBuilder(bin.toString(), input.toString())
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("ggml4j-schema-ref timed out");
                }
                if (p.exitValue() == 2) {
                    throw new AssertionError("ggml4j-schema-ref usage or input error");
                }
                return new Run(parse(out), p.exitValue());
            } finally {
                Files.deleteIfExists(input);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Reads "status\nlength\nbytes" records. */
    private static List<Result> parse(byte[] out) {
        var results = new ArrayList<Result>();
        int pos = 0;
        while (pos < out.length) {
            int nl = indexOf(out, pos);
            String status = new String(out, pos, nl - pos, StandardCharsets.US_ASCII);
            int nl2 = indexOf(out, nl + 1);
            int len = Integer.parseInt(new String(out, nl + 1, nl2 - nl - 1, StandardCharsets.US_ASCII));
            String text = new String(out, nl2 + 1, len, StandardCharsets.UTF_8);
            results.add(new Result(status, text));
            pos = nl2 + 1 + len;
        }
        return results;
    }

    private static int indexOf(byte[] b, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == '\n') {
                return i;
            }
        }
        throw new AssertionError("truncated ggml4j-schema-ref output");
    }

    /** A JSON string literal; lone surrogates are not expected (the corpus is valid UTF-16). */
    static String quote(String s) {
        var b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
