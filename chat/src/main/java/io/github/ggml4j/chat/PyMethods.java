package io.github.ggml4j.chat;

import com.hubspot.jinjava.el.ext.NamedParameter;
import com.hubspot.jinjava.objects.SafeString;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The Python methods chat templates call on strings, lists and dicts ({@code content.strip()},
 * {@code text.split('</think>')}, {@code message.get('tool_calls')}, {@code ns.items.append(x)} …), with Python's
 * semantics rather than Java's: {@code split} takes a literal separator, {@code strip(chars)} strips a set of
 * characters, {@code startswith} takes a tuple. Nothing else can be called: an unknown name is a sandbox violation.
 */
final class PyMethods {

    /** Marks "no such method" apart from a method that returned None. */
    static final Object NO_METHOD = new Object();

    private PyMethods() {
    }

    static Object invoke(Object base, String name, Object[] args, Sandbox.Limits limits) {
        if (base instanceof SafeString s) {
            base = s.getValue();
        }
        return switch (base) {
            case String s -> string(s, name, positional(args), limits);
            case List<?> l -> list(castList(l), name, positional(args));
            case Map<?, ?> m -> dict(castMap(m), name, positional(args));
            default -> NO_METHOD;
        };
    }

    private static Object[] positional(Object[] args) {
        if (args == null) {
            return new Object[0];
        }
        for (Object a : args) {
            if (a instanceof NamedParameter p) {
                throw new Sandbox.Violation("keyword argument " + p.getName() + "= is not supported in method calls");
            }
        }
        return args;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> castList(List<?> l) {
        return (List<Object>) l;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    private static Object string(String s, String name, Object[] a, Sandbox.Limits limits) {
        return switch (name) {
            case "strip" -> PyStrings.strip(s, chars(a), true, true);
            case "lstrip" -> PyStrings.strip(s, chars(a), true, false);
            case "rstrip" -> PyStrings.strip(s, chars(a), false, true);
            case "split" -> PyStrings.split(s, a.length > 0 ? str(a[0]) : null, a.length > 1 ? intArg(a[1]) : -1,
                    limits);
            case "rsplit" -> PyStrings.rsplit(s, a.length > 0 ? str(a[0]) : null, a.length > 1 ? intArg(a[1]) : -1,
                    limits);
            case "splitlines" -> PyStrings.splitlines(s, limits);
            case "startswith" -> affix(s, a, true);
            case "endswith" -> affix(s, a, false);
            case "replace" -> PyStrings.replace(s, str(arg(a, 0)), str(arg(a, 1)), a.length > 2 ? intArg(a[2]) : -1,
                    limits);
            case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
            case "title" -> PyStrings.title(s);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT)
                    + s.substring(1).toLowerCase(java.util.Locale.ROOT);
            case "find" -> (long) s.indexOf(str(arg(a, 0)));
            case "rfind" -> (long) s.lastIndexOf(str(arg(a, 0)));
            case "index" -> {
                int i = s.indexOf(str(arg(a, 0)));
                if (i < 0) {
                    throw new Sandbox.Violation("str.index: substring not found");
                }
                yield (long) i;
            }
            case "count" -> PyStrings.count(s, str(arg(a, 0)));
            case "join" -> PyStrings.join(s, arg(a, 0), limits);
            case "format" -> PyStrings.format(s, a, limits);
            case "removeprefix" -> s.startsWith(str(arg(a, 0))) ? s.substring(str(a[0]).length()) : s;
            case "removesuffix" -> s.endsWith(str(arg(a, 0))) ? s.substring(0, s.length() - str(a[0]).length()) : s;
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.chars().allMatch(Character::isLetterOrDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(Character::isWhitespace);
            case "isupper" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(java.util.Locale.ROOT));
            case "islower" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(java.util.Locale.ROOT));
            default -> NO_METHOD;
        };
    }

    private static Object affix(String s, Object[] a, boolean prefix) {
        Object what = arg(a, 0);
        Collection<?> options = what instanceof Collection<?> c ? c : List.of(what);
        for (Object o : options) {
            String p = str(o);
            if (prefix ? s.startsWith(p) : s.endsWith(p)) {
                return true;
            }
        }
        return false;
    }

    private static Object list(List<Object> l, String name, Object[] a) {
        return switch (name) {
            case "append" -> {
                l.add(arg(a, 0));
                yield null;
            }
            case "extend" -> {
                if (!(arg(a, 0) instanceof Collection<?> c)) {
                    throw new Sandbox.Violation("list.extend needs a list");
                }
                l.addAll(c);
                yield null;
            }
            case "insert" -> {
                int i = Math.max(0, Math.min(l.size(), intArg(arg(a, 0))));
                l.add(i, arg(a, 1));
                yield null;
            }
            case "pop" -> {
                if (l.isEmpty()) {
                    throw new Sandbox.Violation("pop from empty list");
                }
                int i = a.length > 0 ? intArg(a[0]) : -1;
                yield l.remove(i < 0 ? l.size() + i : i);
            }
            case "index" -> {
                int i = l.indexOf(arg(a, 0));
                if (i < 0) {
                    throw new Sandbox.Violation("list.index: value not in list");
                }
                yield (long) i;
            }
            case "count" -> l.stream().filter(x -> java.util.Objects.equals(x, a.length > 0 ? a[0] : null)).count();
            case "copy" -> Sandbox.list(new ArrayList<>(l));
            default -> NO_METHOD;
        };
    }

    private static Object dict(Map<String, Object> m, String name, Object[] a) {
        return switch (name) {
            case "get" -> {
                Object key = arg(a, 0);
                Object v = key == null ? null : m.get(key.toString());
                yield v != null || m.containsKey(String.valueOf(key)) ? v : (a.length > 1 ? a[1] : null);
            }
            case "items" -> Sandbox.list(new ArrayList<>(m.entrySet()));
            case "keys" -> Sandbox.list(new ArrayList<>(m.keySet()));
            case "values" -> Sandbox.list(new ArrayList<>(m.values()));
            case "pop" -> {
                String key = String.valueOf(arg(a, 0));
                if (!m.containsKey(key) && a.length < 2) {
                    throw new Sandbox.Violation("dict.pop: no key " + key);
                }
                Object v = m.remove(key);
                yield v != null ? v : (a.length > 1 ? a[1] : null);
            }
            case "update" -> {
                if (!(arg(a, 0) instanceof Map<?, ?> other)) {
                    throw new Sandbox.Violation("dict.update needs a dict");
                }
                other.forEach((k, v) -> m.put(String.valueOf(k), v));
                yield null;
            }
            case "copy" -> Sandbox.dict(new java.util.LinkedHashMap<>(m));
            default -> NO_METHOD;
        };
    }

    private static Object arg(Object[] a, int i) {
        if (a.length <= i) {
            throw new Sandbox.Violation("missing argument " + (i + 1));
        }
        return a[i];
    }

    private static String chars(Object[] a) {
        return a.length == 0 || a[0] == null ? null : str(a[0]);
    }

    static String str(Object o) {
        return o == null ? "None" : o instanceof SafeString s ? s.getValue() : o.toString();
    }

    static int intArg(Object o) {
        if (o instanceof Number n) {
            return n.intValue();
        }
        throw new Sandbox.Violation("expected an integer argument, got " + str(o));
    }
}
