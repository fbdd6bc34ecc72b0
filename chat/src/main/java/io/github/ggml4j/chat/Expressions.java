package io.github.ggml4j.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Rewrites a template expression where Jinjava's parser reads it differently from Jinja (and llama.cpp): it adds
 * the parentheses Jinja's precedence implies, so Jinjava computes what the template's author meant.
 *
 * <ul>
 *   <li>{@code not x is defined}, {@code not a == b}: Jinja's {@code not} binds looser than tests and
 *       comparisons; Jinjava's binds tighter. Becomes {@code not (x is defined)}.
 *   <li>{@code namespace(n=items|length - 1)}: a keyword argument's value is a whole expression; Jinjava stops
 *       at the filter. Becomes {@code n=(items|length - 1)}.
 *   <li>{@code items[::-1]}, {@code items[:n+1]}: slices with a step or a computed end, which Jinjava cannot
 *       parse, become {@code ggml4j_slice(items, none, none, -1)}.
 * </ul>
 */
final class Expressions {

    private static final Set<String> STOP_NOT = Set.of("and", "or", "if", "else");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "not", "in", "is", "if", "else", "for");

    private Expressions() {
    }

    private record Tok(String text, char kind) { // kind: ' ' space, 's' string, 'n' name, '0' number, 'o' operator
        boolean is(String s) {
            return kind != 's' && text.equals(s);
        }
    }

    static String rewrite(String expr) {
        String s = expr;
        for (int round = 0; round < 64; round++) {
            String next = rewriteOneSlice(s);
            if (next == null) {
                break;
            }
            s = next;
        }
        return parenthesize(tokens(s));
    }

    private static List<Tok> tokens(String s) {
        List<Tok> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            int j = i + 1;
            char kind;
            if (Character.isWhitespace(c)) {
                while (j < s.length() && Character.isWhitespace(s.charAt(j))) {
                    j++;
                }
                kind = ' ';
            } else if (c == '"' || c == '\'') {
                while (j < s.length() && s.charAt(j) != c) {
                    if (s.charAt(j) == '\\') {
                        j++;
                    }
                    j++;
                }
                j = Math.min(s.length(), j + 1);
                kind = 's';
            } else if (Character.isLetter(c) || c == '_') {
                while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
                    j++;
                }
                kind = 'n';
            } else if (Character.isDigit(c)) {
                while (j < s.length() && (Character.isDigit(s.charAt(j)) || s.charAt(j) == '.')) {
                    j++;
                }
                kind = '0';
            } else {
                String two = i + 1 < s.length() ? s.substring(i, i + 2) : "";
                if (two.equals("==") || two.equals("!=") || two.equals("<=") || two.equals(">=") || two.equals("//")
                        || two.equals("**")) {
                    j = i + 2;
                }
                kind = 'o';
            }
            out.add(new Tok(s.substring(i, j), kind));
            i = j;
        }
        return out;
    }

    private static int prevSolid(List<Tok> t, int i) {
        for (int k = i - 1; k >= 0; k--) {
            if (t.get(k).kind() != ' ') {
                return k;
            }
        }
        return -1;
    }

    private static int nextSolid(List<Tok> t, int i) {
        for (int k = i + 1; k < t.size(); k++) {
            if (t.get(k).kind() != ' ') {
                return k;
            }
        }
        return -1;
    }

    private static boolean opens(Tok t) {
        return t.is("(") || t.is("[") || t.is("{");
    }

    private static boolean closes(Tok t) {
        return t.is(")") || t.is("]") || t.is("}");
    }

    private static int matching(List<Tok> t, int open) {
        int depth = 0;
        for (int k = open; k < t.size(); k++) {
            if (opens(t.get(k))) {
                depth++;
            } else if (closes(t.get(k)) && --depth == 0) {
                return k;
            }
        }
        return -1;
    }

    /** Whether the token before index {@code i} ends a value, so a bracket at {@code i} subscripts or calls it. */
    private static boolean followsValue(List<Tok> t, int i) {
        int p = prevSolid(t, i);
        if (p < 0) {
            return false;
        }
        Tok prev = t.get(p);
        return prev.kind() == 's' || (prev.kind() == 'n' && !KEYWORDS.contains(prev.text())) || prev.is(")")
                || prev.is("]");
    }

    /** Rewrites the first slice Jinjava cannot parse, or returns null when there is none. */
    private static String rewriteOneSlice(String s) {
        List<Tok> t = tokens(s);
        for (int i = 0; i < t.size(); i++) {
            if (!t.get(i).is("[") || !followsValue(t, i)) {
                continue;
            }
            int close = matching(t, i);
            if (close < 0) {
                return null;
            }
            List<List<Tok>> parts = new ArrayList<>();
            parts.add(new ArrayList<>());
            int depth = 0;
            for (int k = i + 1; k < close; k++) {
                Tok x = t.get(k);
                if (opens(x)) {
                    depth++;
                } else if (closes(x)) {
                    depth--;
                }
                if (depth == 0 && x.is(":")) {
                    parts.add(new ArrayList<>());
                } else {
                    parts.getLast().add(x);
                }
            }
            if (parts.size() == 1 || (parts.size() == 2 && simple(parts.get(1)))) {
                continue;
            }
            int start = primaryStart(t, i);
            StringBuilder b = new StringBuilder();
            for (int k = 0; k < start; k++) {
                b.append(t.get(k).text());
            }
            b.append("ggml4j_slice(");
            for (int k = start; k < i; k++) {
                b.append(t.get(k).text());
            }
            for (int p = 0; p < 3; p++) {
                String part = p < parts.size() ? join(parts.get(p)).strip() : "";
                b.append(", ").append(part.isEmpty() ? "none" : "(" + part + ")");
            }
            b.append(')');
            for (int k = close + 1; k < t.size(); k++) {
                b.append(t.get(k).text());
            }
            return b.toString();
        }
        return null;
    }

    private static boolean simple(List<Tok> part) {
        List<Tok> solid = part.stream().filter(x -> x.kind() != ' ').toList();
        return solid.isEmpty() || (solid.size() == 1 && solid.getFirst().kind() != 'o');
    }

    /** The first token of the value a subscript at {@code bracket} applies to: {@code a.b(c)[d]} and the like. */
    private static int primaryStart(List<Tok> t, int bracket) {
        int k = bracket;
        while (true) {
            int p = k - 1; // no spaces inside a primary chain
            if (p < 0) {
                return k;
            }
            Tok prev = t.get(p);
            if (prev.is(")") || prev.is("]")) {
                int depth = 0;
                int q = p;
                for (; q >= 0; q--) {
                    if (closes(t.get(q))) {
                        depth++;
                    } else if (opens(t.get(q)) && --depth == 0) {
                        break;
                    }
                }
                k = Math.max(q, 0);
            } else if (prev.kind() == 'n' || prev.kind() == 's') {
                k = p;
                if (p - 1 >= 0 && t.get(p - 1).is(".")) {
                    k = p - 1;
                } else {
                    return k;
                }
            } else {
                return k;
            }
        }
    }

    /** The index after the value chain starting at {@code from}: {@code a.b[c](d)}. */
    private static int primaryEnd(List<Tok> t, int from) {
        int k = from + 1;
        while (k < t.size()) {
            Tok x = t.get(k);
            if (x.is(".") && k + 1 < t.size() && t.get(k + 1).kind() == 'n') {
                k += 2;
            } else if (x.is("[") || x.is("(")) {
                int close = matching(t, k);
                if (close < 0) {
                    return k;
                }
                k = close + 1;
            } else {
                break;
            }
        }
        return k;
    }

    private static String join(List<Tok> t) {
        StringBuilder b = new StringBuilder();
        t.forEach(x -> b.append(x.text()));
        return b.toString();
    }

    /** Adds parentheses around the operands of {@code not} and the values of keyword arguments. */
    private static String parenthesize(List<Tok> t) {
        int n = t.size();
        int[] opensBefore = new int[n + 1];
        int[] closesBefore = new int[n + 1];
        int[] callsBefore = new int[n + 1];
        for (int i = 0; i < n; i++) {
            Tok x = t.get(i);
            if (x.is("+") && followsValue(t, i)) {
                // llama.cpp (like Jinja's default undefined) concatenates an undefined value as "", Jinjava as
                // "null": a variable next to "+" goes through ggml4j_nz, which turns only null into ""
                int l = prevSolid(t, i);
                int ls = primaryStart(t, l + 1);
                int before = prevSolid(t, ls);
                if (t.get(l).kind() == 'n' || t.get(l).is("]") || t.get(l).is(")")) {
                    if (t.get(ls).kind() == 'n' && !KEYWORDS.contains(t.get(ls).text())
                            && (before < 0 || !t.get(before).is("|"))) {
                        callsBefore[ls]++;
                        closesBefore[l + 1]++;
                    }
                }
                int r = nextSolid(t, i);
                if (r >= 0 && t.get(r).kind() == 'n' && !KEYWORDS.contains(t.get(r).text())) {
                    int re = primaryEnd(t, r);
                    callsBefore[r]++;
                    closesBefore[re]++;
                }
            }
            if (x.is("not")) {
                int p = prevSolid(t, i);
                int q = nextSolid(t, i);
                if ((p >= 0 && t.get(p).is("is")) || q < 0 || t.get(q).is("in")) {
                    continue;
                }
                int end = operandEnd(t, q, true);
                opensBefore[q]++;
                closesBefore[end]++;
            } else if (x.is("(") && followsValue(t, i)) {
                int close = matching(t, i);
                if (close < 0) {
                    continue;
                }
                int depth = 0;
                for (int k = i + 1; k < close; k++) {
                    Tok y = t.get(k);
                    if (opens(y)) {
                        depth++;
                    } else if (closes(y)) {
                        depth--;
                    } else if (depth == 0 && y.kind() == 'n') {
                        int eq = nextSolid(t, k);
                        if (eq >= 0 && t.get(eq).is("=")) {
                            int v = nextSolid(t, eq);
                            if (v >= 0 && v < close) {
                                opensBefore[v]++;
                                closesBefore[operandEnd(t, v, false)]++;
                            }
                        }
                    }
                }
            }
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i <= n; i++) {
            b.append(")".repeat(closesBefore[i])).append("(".repeat(opensBefore[i]))
                    .append("ggml4j_nz(".repeat(callsBefore[i]));
            if (i < n) {
                // Jinjava reads "x+1" as x followed by the number +1
                b.append(t.get(i).is("+") ? " + " : t.get(i).text());
            }
        }
        return b.toString();
    }

    /** The index after the last token of an operand starting at {@code from}, before trailing spaces. */
    private static int operandEnd(List<Tok> t, int from, boolean stopAtBoolean) {
        int depth = 0;
        int last = from;
        for (int k = from; k < t.size(); k++) {
            Tok x = t.get(k);
            if (opens(x)) {
                depth++;
            } else if (closes(x)) {
                if (--depth < 0) {
                    break;
                }
            } else if (depth == 0 && (x.is(",") || x.is(":")
                    || (stopAtBoolean && x.kind() == 'n' && STOP_NOT.contains(x.text())))) {
                break;
            }
            if (x.kind() != ' ') {
                last = k;
            }
        }
        return last + 1;
    }
}
