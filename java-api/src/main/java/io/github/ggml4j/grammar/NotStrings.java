package io.github.ggml4j.grammar;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The grammar of a JSON string that is none of some given strings (the key of an additional property, which must
 * not be a declared one), laid out as llama.cpp lays it out from a trie of the strings' code points:
 * <pre>
 * ["a"]        -&gt; ["] ( [a] char+ | [^"a] char* )? ["]
 * ["and", "also"] -&gt; ["] ( [a] ([l] ([s] ([o] char+ | [^"o] char*) | [^"s] char*) | [n] ([d] char+ | [^"d] char*)
 *                    | [^"ln] char*) | [^"a] char* )? ["]
 * </pre>
 * The trie is walked without recursion, so a long property name cannot exhaust the stack. Internal to the grammar
 * package.
 */
final class NotStrings {

    private NotStrings() {
    }

    /** One trie node: children by code point, in code point order; whether a string ends here. */
    private static final class Node {
        final TreeMap<Integer, Node> children = new TreeMap<>();
        boolean end;
    }

    /** A node being written: its children still to write and the code points written so far. */
    private static final class Frame {
        final Node node;
        final Iterator<Map.Entry<Integer, Node>> rest;
        final StringBuilder rejects = new StringBuilder();
        boolean first = true;

        Frame(Node node) {
            this.node = node;
            this.rest = node.children.entrySet().iterator();
        }
    }

    /** The rule body; {@code charRule} is the name of the rule of one string character. */
    static String rule(List<String> strings, String charRule) {
        var root = new Node();
        for (String s : strings) {
            Node n = root;
            for (int cp : s.codePoints().toArray()) {
                n = n.children.computeIfAbsent(cp, k -> new Node());
            }
            n.end = true;
        }
        var out = new StringBuilder("[\"] ( ");
        var stack = new ArrayDeque<Frame>();
        stack.push(new Frame(root));
        while (!stack.isEmpty()) {
            Frame f = stack.peek();
            if (f.rest.hasNext()) {
                var e = f.rest.next();
                String c = Character.toString(e.getKey());
                f.rejects.append(c);
                if (f.first) {
                    f.first = false;
                } else {
                    out.append(" | ");
                }
                out.append('[').append(c).append(']');
                if (!e.getValue().children.isEmpty()) {
                    out.append(" (");
                    stack.push(new Frame(e.getValue()));
                } else {
                    out.append(' ').append(charRule).append('+');
                }
                continue;
            }
            stack.pop();
            if (!f.node.children.isEmpty()) {
                out.append(" | [^\"").append(f.rejects).append("] ").append(charRule).append('*');
            }
            if (!stack.isEmpty()) {
                out.append(')');
            }
        }
        out.append(" )");
        if (!root.end) {
            out.append('?');
        }
        return out.append(" [\"]").toString();
    }
}
