package io.github.ggml4j.cli;

/**
 * A minimal streaming JSON writer (objects, arrays, strings, numbers, booleans) with two-space indentation.
 * Commas and nesting are tracked here so callers cannot produce malformed output.
 */
final class Json {

    private final StringBuilder out = new StringBuilder();
    // per open container: whether it already holds an element
    private final java.util.ArrayDeque<boolean[]> stack = new java.util.ArrayDeque<>();
    private boolean afterName;

    Json beginObject() {
        return open('{');
    }

    Json endObject() {
        return close('}');
    }

    Json beginArray() {
        return open('[');
    }

    Json endArray() {
        return close(']');
    }

    /** The name of the next member of the current object. */
    Json name(String name) {
        separate();
        string(name);
        out.append(": ");
        afterName = true;
        return this;
    }

    Json value(String s) {
        separate();
        string(s);
        return this;
    }

    Json value(long v) {
        separate();
        out.append(v);
        return this;
    }

    /** An unsigned 64-bit value, as a plain JSON number. */
    Json unsignedValue(long v) {
        separate();
        out.append(Long.toUnsignedString(v));
        return this;
    }

    /** JSON has no NaN or infinities; those become strings. */
    Json value(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return value(Double.toString(v));
        }
        separate();
        out.append(v);
        return this;
    }

    /** A float printed at float precision (0.1f as 0.1, not 0.10000000149011612). */
    Json value(float v) {
        if (Float.isNaN(v) || Float.isInfinite(v)) {
            return value(Float.toString(v));
        }
        separate();
        out.append(v);
        return this;
    }

    Json value(boolean v) {
        separate();
        out.append(v);
        return this;
    }

    Json member(String name, String v) {
        return name(name).value(v);
    }

    Json member(String name, long v) {
        return name(name).value(v);
    }

    @Override
    public String toString() {
        if (!stack.isEmpty()) {
            throw new IllegalStateException("unclosed JSON container");
        }
        return out.toString();
    }

    private Json open(char c) {
        separate();
        out.append(c);
        stack.push(new boolean[1]);
        return this;
    }

    private Json close(char c) {
        boolean[] top = stack.pop();
        if (top[0]) {
            newline();
        }
        out.append(c);
        return this;
    }

    private void separate() {
        if (afterName) {
            afterName = false;
            return;
        }
        boolean[] top = stack.peek();
        if (top != null) {
            if (top[0]) {
                out.append(',');
            }
            top[0] = true;
            newline();
        }
    }

    private void newline() {
        out.append('\n');
        out.append("  ".repeat(stack.size()));
    }

    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    // control characters, and separators that break JavaScript embedding
                    if (ch < 0x20 || ch == 0x7F || ch == '\u2028' || ch == '\u2029') {
                        out.append(String.format("\\u%04x", (int) ch));
                    } else {
                        out.append(ch);
                    }
                }
            }
        }
        out.append('"');
    }
}
