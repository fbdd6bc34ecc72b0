package io.github.ggml4j.grammar;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;

/**
 * A strict JSON (RFC 8259) reader that accepts what llama.cpp's JSON library accepts: one value, optionally after a
 * byte-order mark, surrounded by spaces, tabs and line breaks; no comments, no trailing commas, no lone surrogates;
 * integers kept exact when they fit 64 bits; numbers too large for a double refused. Errors are
 * {@link GrammarException}s with the 1-based line and column (in code points). Nesting deeper than {@link #MAX_DEPTH} is refused,
 * so no input can exhaust the stack.
 */
final class JsonReader {

    /** The deepest nesting of arrays and objects accepted. */
    static final int MAX_DEPTH = 512;

    private static final BigInteger UNSIGNED_LIMIT = BigInteger.ONE.shiftLeft(64);

    private final String text;
    private int pos;

    private JsonReader(String text) {
        this.text = text;
    }

    /** Parses one JSON value, the whole of {@code text}. */
    static Json parse(String text) {
        if (text == null) {
            throw new GrammarException("JSON text is null");
        }
        var reader = new JsonReader(text);
        if (text.startsWith("\uFEFF")) {
            reader.pos = 1;
        }
        reader.skipSpace();
        Json value = reader.value(0);
        reader.skipSpace();
        if (reader.pos < text.length()) {
            throw reader.error("expected the end of the input, found " + reader.describe());
        }
        return value;
    }

    private Json value(int depth) {
        if (pos >= text.length()) {
            throw error("unexpected end of input, expected a value");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth + 1);
            case '[' -> array(depth + 1);
            case '"' -> new Json.Str(string());
            case 't' -> keyword("true", new Json.Bool(true));
            case 'f' -> keyword("false", new Json.Bool(false));
            case 'n' -> keyword("null", Json.Null.INSTANCE);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw error("expected a value, found " + describe());
            }
        };
    }

    private Json object(int depth) {
        checkDepth(depth);
        pos++;
        var members = new LinkedHashMap<String, Json>();
        skipSpace();
        if (peek() == '}') {
            pos++;
            return new Json.Obj(members);
        }
        while (true) {
            skipSpace();
            if (peek() != '"') {
                throw error("expected a string key, found " + describe());
            }
            String key = string();
            skipSpace();
            expect(':');
            skipSpace();
            members.put(key, value(depth));
            skipSpace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == '}') {
                pos++;
                return new Json.Obj(members);
            } else {
                throw error("expected ',' or '}', found " + describe());
            }
        }
    }

    private Json array(int depth) {
        checkDepth(depth);
        pos++;
        var items = new ArrayList<Json>();
        skipSpace();
        if (peek() == ']') {
            pos++;
            return new Json.Arr(items);
        }
        while (true) {
            skipSpace();
            items.add(value(depth));
            skipSpace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == ']') {
                pos++;
                return new Json.Arr(items);
            } else {
                throw error("expected ',' or ']', found " + describe());
            }
        }
    }

    private void checkDepth(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("JSON nested deeper than " + MAX_DEPTH + " levels");
        }
    }

    private String string() {
        int start = pos;
        pos++;
        var out = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                pos = start;
                throw error("unterminated string");
            }
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                return out.toString();
            }
            if (c < 0x20) {
                throw error("control character U+" + String.format("%04X", (int) c) + " in a string must be escaped");
            }
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && pos + 1 < text.length()
                        && Character.isLowSurrogate(text.charAt(pos + 1))) {
                    out.append(c).append(text.charAt(pos + 1));
                    pos += 2;
                    continue;
                }
                throw error("unpaired surrogate in a string");
            }
            if (c != '\\') {
                out.append(c);
                pos++;
                continue;
            }
            pos++;
            char e = pos < text.length() ? text.charAt(pos) : 0;
            switch (e) {
                case '"' -> out.append('"');
                case '\\' -> out.append('\\');
                case '/' -> out.append('/');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    char u = hex4(pos + 1);
                    pos += 4;
                    if (Character.isHighSurrogate(u)) {
                        if (!text.startsWith("\\u", pos + 1)) {
                            throw error("a high surrogate \\u escape must be followed by a low surrogate");
                        }
                        char low = hex4(pos + 3);
                        if (!Character.isLowSurrogate(low)) {
                            throw error("a high surrogate \\u escape must be followed by a low surrogate");
                        }
                        out.append(u).append(low);
                        pos += 6;
                    } else if (Character.isLowSurrogate(u)) {
                        throw error("a low surrogate \\u escape without a high surrogate");
                    } else {
                        out.append(u);
                    }
                }
                default -> throw error("invalid escape in a string");
            }
            pos++;
        }
    }

    private char hex4(int at) {
        if (at + 4 > text.length()) {
            throw error("a \\u escape needs four hex digits");
        }
        int v = 0;
        for (int i = at; i < at + 4; i++) {
            int d = Character.digit(text.charAt(i), 16);
            if (d < 0 || text.charAt(i) > 'f') {
                throw error("a \\u escape needs four hex digits");
            }
            v = v * 16 + d;
        }
        return (char) v;
    }

    private Json number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            while (isDigit(peek())) {
                pos++;
            }
        } else {
            throw error("expected a digit");
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!isDigit(peek())) {
                throw error("expected a digit after the decimal point");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("expected a digit in the exponent");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        String token = text.substring(start, pos);
        if (integral) {
            var big = new BigInteger(token);
            if (big.bitLength() < 64) {
                return new Json.Num(Json.Num.Kind.INTEGER, big.longValue(), 0);
            }
            if (big.signum() > 0 && big.compareTo(UNSIGNED_LIMIT) < 0) {
                return new Json.Num(Json.Num.Kind.UNSIGNED, big.longValue(), 0);
            }
        }
        double d = Double.parseDouble(token);
        if (!Double.isFinite(d)) {
            pos = start;
            throw error("number overflow: " + token);
        }
        return new Json.Num(Json.Num.Kind.FLOAT, 0, d);
    }

    private Json keyword(String word, Json value) {
        if (!text.startsWith(word, pos)) {
            throw error("expected a value, found " + describe());
        }
        pos += word.length();
        return value;
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "', found " + describe());
        }
        pos++;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : 0;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private String describe() {
        if (pos >= text.length()) {
            return "the end of the input";
        }
        int cp = text.codePointAt(pos);
        return cp < 0x20 || cp == 0x7F ? String.format("U+%04X", cp) : "'" + Character.toString(cp) + "'";
    }

    /** An error at the current position: 1-based line and column, the column counted in code points. */
    private GrammarException error(String message) {
        int line = 1;
        int column = 1;
        int end = Math.min(pos, text.length());
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            if (c == '\n') {
                line++;
                column = 1;
            } else if (!Character.isLowSurrogate(c) || i == 0 || !Character.isHighSurrogate(text.charAt(i - 1))) {
                column++;
            }
        }
        return new GrammarException("invalid JSON: " + message, line, column, null);
    }
}
