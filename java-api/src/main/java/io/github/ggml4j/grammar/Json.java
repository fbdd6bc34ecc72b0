package io.github.ggml4j.grammar;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A parsed JSON value, as the schema converter needs it: objects keep their keys in document order (a repeated key
 * keeps its first position and its last value), numbers keep the integer/unsigned/floating distinction of the text,
 * and {@link #dump()} writes the compact form llama.cpp's JSON library writes. Internal to the grammar package.
 */
sealed interface Json {

    /** The compact JSON text of this value: no spaces, non-ASCII characters as they are. */
    default String dump() {
        var out = new StringBuilder();
        dump(this, out);
        return out.toString();
    }

    /** JSON {@code null}. */
    record Null() implements Json {
        static final Null INSTANCE = new Null();
    }

    /** JSON {@code true} or {@code false}. */
    record Bool(boolean value) implements Json {
    }

    /** A JSON string. */
    record Str(String value) implements Json {
        public Str {
            Objects.requireNonNull(value, "value");
        }
    }

    /**
     * A JSON number. {@code INTEGER} is a number written without fraction or exponent that fits a signed 64-bit
     * integer, {@code UNSIGNED} one that fits only an unsigned one (its bits in {@code bits}), {@code FLOAT} anything
     * else (in {@code value}).
     */
    record Num(Kind kind, long bits, double value) implements Json {
        /** How the number was written. */
        enum Kind { INTEGER, UNSIGNED, FLOAT }

        public Num {
            Objects.requireNonNull(kind, "kind");
            if (kind == Kind.FLOAT && !Double.isFinite(value)) {
                throw new IllegalArgumentException("a JSON number is finite: " + value);
            }
        }

        boolean isInteger() {
            return kind != Kind.FLOAT;
        }

        /** The value as a signed 64-bit integer; an unsigned value keeps its bits (it wraps). */
        long asLong() {
            return kind == Kind.FLOAT ? (long) value : bits;
        }

        /** The value as a double. */
        double asDouble() {
            return switch (kind) {
                case INTEGER -> bits;
                case UNSIGNED -> unsignedToDouble(bits);
                case FLOAT -> value;
            };
        }

        private static double unsignedToDouble(long bits) {
            double d = (double) (bits >>> 1) * 2.0;
            return d + (bits & 1);
        }
    }

    /** A JSON array. */
    record Arr(List<Json> items) implements Json {
        public Arr {
            items = Collections.unmodifiableList(new ArrayList<>(items));
        }
    }

    /** A JSON object, keys in document order. */
    record Obj(Map<String, Json> members) implements Json {
        public Obj {
            members = Collections.unmodifiableMap(new LinkedHashMap<>(members));
        }

        boolean has(String key) {
            return members.containsKey(key);
        }

        Json get(String key) {
            return members.get(key);
        }

        /** A copy with {@code key} set to {@code value}, in the key's old position if it had one. */
        Obj with(String key, Json value) {
            var copy = new LinkedHashMap<>(members);
            copy.put(key, value);
            return new Obj(copy);
        }
    }

    private static void dump(Json value, StringBuilder out) {
        switch (value) {
            case Null n -> out.append("null");
            case Bool b -> out.append(b.value());
            case Str s -> dumpString(s.value(), out);
            case Num n -> dumpNumber(n, out);
            case Arr a -> {
                out.append('[');
                for (int i = 0; i < a.items().size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    dump(a.items().get(i), out);
                }
                out.append(']');
            }
            case Obj o -> {
                out.append('{');
                boolean first = true;
                for (var e : o.members().entrySet()) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    dumpString(e.getKey(), out);
                    out.append(':');
                    dump(e.getValue(), out);
                }
                out.append('}');
            }
        }
    }

    /** Quotes a string as llama.cpp's JSON library does: short escapes, other controls as lower-case \\u00xx. */
    static void dumpString(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static void dumpNumber(Num n, StringBuilder out) {
        switch (n.kind()) {
            case INTEGER -> out.append(n.bits());
            case UNSIGNED -> out.append(Long.toUnsignedString(n.bits()));
            case FLOAT -> out.append(formatDouble(n.value()));
        }
    }

    /**
     * {@code d} as llama.cpp's JSON library writes it: the {@link Grisu2} digits in plain decimal notation while
     * the decimal point falls within 15 digits of the first one (and no more than 4 zeros follow the point), with
     * ".0" after an integral value; otherwise {@code d.ddde+XX}.
     */
    static String formatDouble(double d) {
        var out = new StringBuilder();
        if (d < 0 || (d == 0 && 1 / d < 0)) {
            out.append('-');
            d = -d;
        }
        if (d == 0) {
            return out.append("0.0").toString();
        }
        Grisu2.Decimal dec = Grisu2.digits(d);
        String digits = dec.digits();
        int k = digits.length();
        int n = k + dec.exponent(); // position of the decimal point relative to the first digit
        if (k <= n && n <= 15) {
            out.append(digits).append("0".repeat(n - k)).append(".0");
        } else if (0 < n && n <= 15) {
            out.append(digits, 0, n).append('.').append(digits, n, k);
        } else if (-4 < n && n <= 0) {
            out.append("0.").append("0".repeat(-n)).append(digits);
        } else {
            out.append(digits.charAt(0));
            if (k > 1) {
                out.append('.').append(digits, 1, k);
            }
            int e = n - 1;
            out.append('e').append(e < 0 ? '-' : '+');
            int abs = Math.abs(e);
            if (abs < 10) {
                out.append('0');
            }
            out.append(abs);
        }
        return out.toString();
    }
}
