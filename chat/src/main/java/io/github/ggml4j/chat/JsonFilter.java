package io.github.ggml4j.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.objects.SafeString;

import java.util.List;
import java.util.Map;

/**
 * {@code tojson(ensure_ascii=false, indent=None, separators=None)} as Python's {@code json.dumps} writes it (and
 * llama.cpp's template engine): {@code ", "} and {@code ": "} between items without an indent, keys in insertion
 * order, non-ASCII characters as they are unless {@code ensure_ascii}.
 */
final class JsonFilter implements Filter {

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        return filter(var, interpreter, args, Map.of());
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object ascii = option(args, kwargs, 0, "ensure_ascii");
        Object indent = option(args, kwargs, 1, "indent");
        Object separators = option(args, kwargs, 2, "separators");
        if (Boolean.TRUE.equals(option(args, kwargs, 3, "sort_keys"))) {
            throw new Sandbox.Violation("tojson(sort_keys=true) is not supported");
        }
        int ind = indent instanceof Number n ? n.intValue() : -1;
        String itemSep = ind < 0 ? ", " : ",";
        String keySep = ": ";
        if (separators instanceof List<?> l) {
            if (!l.isEmpty()) {
                itemSep = PyMethods.str(l.get(0));
            }
            if (l.size() > 1) {
                keySep = PyMethods.str(l.get(1));
            }
        }
        StringBuilder b = new StringBuilder();
        write(b, var, 0, ind, itemSep, keySep, Boolean.TRUE.equals(ascii), 0);
        return b.toString();
    }

    private static Object option(Object[] args, Map<String, Object> kwargs, int pos, String name) {
        if (kwargs != null && kwargs.containsKey(name)) {
            return kwargs.get(name);
        }
        return args != null && args.length > pos ? args[pos] : null;
    }

    private static void write(StringBuilder b, Object v, int level, int indent, String itemSep, String keySep,
                              boolean ascii, int depth) {
        Sandbox.Limits limits = Sandbox.current();
        if (depth > 64) {
            limits.fail(new Sandbox.Violation("tojson: value nested deeper than 64 levels (a cycle?)"));
        }
        limits.checkString(b.length());
        if (v instanceof SafeString s) {
            v = s.getValue();
        }
        switch (v) {
            case null -> b.append("null");
            case Boolean bool -> b.append(bool ? "true" : "false");
            case Long l -> b.append(l);
            case Integer i -> b.append(i);
            case Number n -> b.append(n.doubleValue() == Math.rint(n.doubleValue()) && !Double.isInfinite(
                    n.doubleValue()) ? String.valueOf(n.doubleValue()) : String.valueOf(n));
            case String s -> string(b, s, ascii);
            case Map<?, ?> m -> {
                b.append('{');
                if (!m.isEmpty()) {
                    newline(b, indent);
                    int i = 0;
                    for (Map.Entry<?, ?> e : m.entrySet()) {
                        pad(b, indent, level + 1);
                        string(b, String.valueOf(e.getKey()), ascii);
                        b.append(keySep);
                        write(b, e.getValue(), level + 1, indent, itemSep, keySep, ascii, depth + 1);
                        if (++i < m.size()) {
                            b.append(itemSep);
                        }
                        newline(b, indent);
                    }
                    pad(b, indent, level);
                }
                b.append('}');
            }
            case Iterable<?> it -> {
                List<?> items = it instanceof List<?> l ? l : com.google.common.collect.Lists.newArrayList(it);
                b.append('[');
                if (!items.isEmpty()) {
                    newline(b, indent);
                    for (int i = 0; i < items.size(); i++) {
                        pad(b, indent, level + 1);
                        write(b, items.get(i), level + 1, indent, itemSep, keySep, ascii, depth + 1);
                        if (i + 1 < items.size()) {
                            b.append(itemSep);
                        }
                        newline(b, indent);
                    }
                    pad(b, indent, level);
                }
                b.append(']');
            }
            default -> b.append("null");
        }
    }

    private static void newline(StringBuilder b, int indent) {
        if (indent >= 0) {
            b.append('\n');
        }
    }

    private static void pad(StringBuilder b, int indent, int level) {
        if (indent > 0) {
            b.append(" ".repeat(indent * level));
        }
    }

    private static void string(StringBuilder b, String s, boolean ascii) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || (ascii && c > 0x7e)) {
                        b.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
