package io.github.ggml4j.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Python's {@code str} methods, as templates written for Hugging Face's Jinja expect them. */
final class PyStrings {

    private PyStrings() {
    }

    /** Python's whitespace for strip() and split() without arguments. */
    static boolean isSpace(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d
                || c == 0x1e || c == 0x1f || c == 0x85 || Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int b = 0;
        int e = s.length();
        if (left) {
            while (b < e && stripped(s.charAt(b), chars)) {
                b++;
            }
        }
        if (right) {
            while (e > b && stripped(s.charAt(e - 1), chars)) {
                e--;
            }
        }
        return s.substring(b, e);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    static List<Object> split(String s, String sep, int maxSplit, Sandbox.Limits limits) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    out.add(strip(s.substring(i), null, false, true));
                    break;
                }
                int j = i;
                while (j < n && !isSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                limits.checkList(out.size());
                i = j;
            }
            return Sandbox.list(out);
        }
        if (sep.isEmpty()) {
            throw new Sandbox.Violation("str.split: empty separator");
        }
        int from = 0;
        while (maxSplit < 0 || out.size() < maxSplit) {
            int at = s.indexOf(sep, from);
            if (at < 0) {
                break;
            }
            out.add(s.substring(from, at));
            limits.checkList(out.size());
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return Sandbox.list(out);
    }

    static List<Object> rsplit(String s, String sep, int maxSplit, Sandbox.Limits limits) {
        if (maxSplit < 0 || sep == null) {
            return split(s, sep, maxSplit, limits);
        }
        if (sep.isEmpty()) {
            throw new Sandbox.Violation("str.rsplit: empty separator");
        }
        List<Object> out = new ArrayList<>();
        int end = s.length();
        while (out.size() < maxSplit) {
            int at = s.lastIndexOf(sep, end - sep.length());
            if (at < 0) {
                break;
            }
            out.addFirst(s.substring(at + sep.length(), end));
            end = at;
        }
        out.addFirst(s.substring(0, end));
        return Sandbox.list(out);
    }

    static List<Object> splitlines(String s, Sandbox.Limits limits) {
        List<Object> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n' || c == '\r') {
                out.add(s.substring(start, i));
                limits.checkList(out.size());
                if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        if (start < s.length()) {
            out.add(s.substring(start));
        }
        return Sandbox.list(out);
    }

    static String replace(String s, String old, String with, int count, Sandbox.Limits limits) {
        if (old.isEmpty()) {
            throw new Sandbox.Violation("str.replace with an empty pattern is not supported");
        }
        StringBuilder b = new StringBuilder();
        int from = 0;
        int done = 0;
        while (count < 0 || done < count) {
            int at = s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            b.append(s, from, at).append(with);
            limits.checkString(b.length());
            from = at + old.length();
            done++;
        }
        return b.append(s, from, s.length()).toString();
    }

    static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(prevCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevCased = Character.isLetter(c);
        }
        return b.toString();
    }

    static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1L;
        }
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    static String join(String sep, Object items, Sandbox.Limits limits) {
        if (!(items instanceof Iterable<?> it)) {
            throw new Sandbox.Violation("str.join needs a list");
        }
        StringBuilder b = new StringBuilder();
        boolean first = true;
        for (Object o : it) {
            if (!first) {
                b.append(sep);
            }
            first = false;
            b.append(PyMethods.str(o));
            limits.checkString(b.length());
        }
        return b.toString();
    }

    /** {@code '{} and {0} and {name}'.format(...)} with positional arguments ({name} needs a dict argument). */
    static String format(String s, Object[] args, Sandbox.Limits limits) {
        StringBuilder b = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{' && i + 1 < s.length() && s.charAt(i + 1) == '{') {
                b.append('{');
                i++;
            } else if (c == '}' && i + 1 < s.length() && s.charAt(i + 1) == '}') {
                b.append('}');
                i++;
            } else if (c == '{') {
                int close = s.indexOf('}', i);
                if (close < 0) {
                    throw new Sandbox.Violation("str.format: unmatched '{'");
                }
                String field = s.substring(i + 1, close);
                if (field.contains(":") || field.contains("!")) {
                    throw new Sandbox.Violation("str.format: format specs are not supported ({" + field + "})");
                }
                Object v;
                if (field.isEmpty()) {
                    v = arg(args, auto++);
                } else if (field.chars().allMatch(Character::isDigit)) {
                    v = arg(args, Integer.parseInt(field));
                } else if (args.length > 0 && args[args.length - 1] instanceof Map<?, ?> m) {
                    v = m.get(field);
                } else {
                    throw new Sandbox.Violation("str.format: named field {" + field + "} without a dict");
                }
                b.append(PyMethods.str(v));
                i = close;
            } else {
                b.append(c);
            }
            limits.checkString(b.length());
        }
        return b.toString();
    }

    private static Object arg(Object[] args, int i) {
        if (i >= args.length) {
            throw new Sandbox.Violation("str.format: missing argument " + i);
        }
        return args[i];
    }
}
