package io.github.ggml4j.chat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Copies caller data into the template's own lists and dicts, refusing anything but plain JSON-like values. */
final class Values {

    private static final int MAX_DEPTH = 64;

    private Values() {
    }

    static Object toTemplate(Object v, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("template data nested deeper than " + MAX_DEPTH + " levels");
        }
        return switch (v) {
            case null -> null;
            case String s -> s;
            case Boolean b -> b;
            case Byte b -> (long) b;
            case Short s -> (long) s;
            case Integer i -> (long) i;
            case Long l -> l;
            case Float f -> (double) f;
            case Double d -> d;
            case Map<?, ?> m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                m.forEach((k, x) -> out.put(String.valueOf(k), toTemplate(x, depth + 1)));
                yield Sandbox.dict(out);
            }
            case List<?> l -> {
                List<Object> out = new ArrayList<>(l.size());
                for (Object x : l) {
                    out.add(toTemplate(x, depth + 1));
                }
                yield Sandbox.list(out);
            }
            case ChatMessage m -> toTemplate(ToolCalling.messageMap(m), depth);
            default -> throw new IllegalArgumentException("template data may hold strings, numbers, booleans, "
                    + "null, lists and maps; not " + v.getClass().getName());
        };
    }
}
