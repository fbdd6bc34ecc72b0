package io.github.ggml4j.grammar;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a {@code pattern} (a regular expression anchored with ^ and $) into grammar rules, as llama.cpp does:
 * literals, {@code .}, groups (capturing or {@code (?:...)}), alternation, character classes copied as they are,
 * and the quantifiers {@code * + ?} and {@code {m,n}}. A pattern outside that subset (no anchors, lookarounds,
 * shorthands such as {@code \w}, anchors inside) is {@link Unsupported}; one that is not a valid expression under
 * any flavour (unbalanced parentheses, a trailing backslash, nothing to repeat) is {@link Invalid}. Groups nest at
 * most {@link #MAX_DEPTH} deep. Internal to the grammar package.
 */
final class PatternRules {

    /** The deepest nesting of groups accepted. */
    static final int MAX_DEPTH = 100;

    private static final Set<Character> NON_LITERAL = Set.of('|', '.', '(', ')', '[', ']', '{', '}', '*', '+', '?',
            '^', '$');
    private static final Set<Character> ESCAPED_IN_REGEX_ONLY = Set.of('^', '$', '.', '[', ']', '(', ')', '|', '{',
            '}', '*', '+', '?');

    /** The pattern is a valid regular expression with no grammar equivalent. */
    static final class Unsupported extends Exception {
        private static final long serialVersionUID = 1L;

        Unsupported(String message) {
            super(message, null, false, false);
        }
    }

    /** The pattern is not a valid regular expression. */
    static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    /** One element of a sequence: literal text (merged with its neighbours) or a grammar expression. */
    private record Item(String text, boolean literal) {
    }

    private final GbnfRules rules;
    private final boolean dotAll;
    private final String name;
    private final String sub;
    private final Map<String, String> subRuleIds = new HashMap<>();
    private int i;
    private int parenDepth;

    private PatternRules(GbnfRules rules, boolean dotAll, String name, String sub) {
        this.rules = rules;
        this.dotAll = dotAll;
        this.name = name;
        this.sub = sub;
    }

    /** Adds the rule {@code name} for strings matching {@code pattern} (and its helper rules); returns its name. */
    static String convert(GbnfRules rules, boolean dotAll, String pattern, String name)
            throws Unsupported, Invalid {
        if (pattern.length() < 2 || pattern.charAt(0) != '^' || pattern.charAt(pattern.length() - 1) != '$') {
            throw new Unsupported("not anchored with '^' and '$'");
        }
        var converter = new PatternRules(rules, dotAll, name, pattern.substring(1, pattern.length() - 1));
        String rule = toRule(converter.transform());
        if (converter.parenDepth != 0) {
            throw new Invalid("unbalanced parentheses");
        }
        return rules.add(name, "\"\\\"\" (" + rule + ") \"\\\"\"");
    }

    private static String toRule(Item item) {
        return item.literal() ? "\"" + item.text() + "\"" : item.text();
    }

    private String dot() {
        return rules.add("dot", dotAll ? "[\\U00000000-\\U0010FFFF]" : "[^\\x0A\\x0D]");
    }

    /** Joins a sequence with spaces, merging consecutive literals into one. */
    private static Item join(List<Item> seq) {
        var parts = new ArrayList<String>();
        var literal = new StringBuilder();
        for (Item item : seq) {
            if (item.literal()) {
                literal.append(item.text());
            } else {
                if (!literal.isEmpty()) {
                    parts.add("\"" + literal + "\"");
                    literal.setLength(0);
                }
                parts.add(item.text());
            }
        }
        if (!literal.isEmpty()) {
            parts.add("\"" + literal + "\"");
        }
        return new Item(String.join(" ", parts), false);
    }

    private Item transform() throws Unsupported, Invalid {
        var seq = new ArrayList<Item>();
        int length = sub.length();
        while (i < length) {
            char c = sub.charAt(i);
            if (c == '.') {
                seq.add(new Item(dot(), false));
                i++;
            } else if (c == '(') {
                i++;
                if (i < length && sub.charAt(i) == '?') {
                    if (i + 1 < length && sub.charAt(i + 1) == ':') {
                        i += 2; // a non-capturing group is a group
                    } else {
                        throw new Unsupported("unsupported group syntax");
                    }
                }
                parenDepth++;
                if (parenDepth > MAX_DEPTH) {
                    throw new Unsupported("pattern nesting too deep");
                }
                seq.add(new Item("(" + toRule(transform()) + ")", false));
            } else if (c == ')') {
                i++;
                if (parenDepth == 0) {
                    throw new Invalid("unbalanced parentheses");
                }
                parenDepth--;
                return join(seq);
            } else if (c == '^' || c == '$') {
                throw new Unsupported("anchor inside the pattern");
            } else if (c == '[') {
                seq.add(new Item(characterClass(), false));
            } else if (c == '|') {
                seq.add(new Item("|", false));
                i++;
            } else if (c == '*' || c == '+' || c == '?') {
                if (seq.isEmpty()) {
                    throw new Invalid("nothing to repeat");
                }
                seq.set(seq.size() - 1, new Item(toRule(seq.getLast()) + c, false));
                i++;
            } else if (c == '{') {
                repeat(seq);
            } else {
                seq.add(new Item(literal(c), true));
            }
        }
        return join(seq);
    }

    private String characterClass() throws Unsupported, Invalid {
        int length = sub.length();
        var out = new StringBuilder("[");
        i++;
        while (i < length && sub.charAt(i) != ']') {
            if (sub.charAt(i) == '\\') {
                int n = escapeLength(sub, i);
                if (n == 0) {
                    throw new Unsupported("unsupported escape in character class: " + twoChars());
                }
                out.append(sub, i, i + n);
                i += n;
            } else {
                out.append(sub.charAt(i));
                i++;
            }
        }
        if (i >= length) {
            throw new Invalid("unterminated character class");
        }
        i++;
        return out.append(']').toString();
    }

    private void repeat(List<Item> seq) throws Unsupported, Invalid {
        int length = sub.length();
        int start = ++i;
        while (i < length && sub.charAt(i) != '}') {
            i++;
        }
        if (i >= length) {
            throw new Unsupported("unterminated curly brackets");
        }
        String[] nums = sub.substring(start, i).split(",", -1);
        i++;
        int min;
        int max = Integer.MAX_VALUE;
        if (nums.length != 1 && nums.length != 2) {
            throw new Unsupported("wrong number of values in curly brackets");
        }
        if (nums.length == 1) {
            min = max = parseCount(nums[0]);
        } else {
            min = nums[0].isEmpty() ? 0 : parseCount(nums[0]);
            if (!nums[1].isEmpty()) {
                max = parseCount(nums[1]);
            }
        }
        if (seq.isEmpty()) {
            throw new Invalid("nothing to repeat");
        }
        Item last = seq.getLast();
        String item = last.text();
        if (!last.literal()) {
            String id = subRuleIds.get(item);
            if (id == null) {
                subRuleIds.put(item, "");
                id = rules.add(name + "-" + subRuleIds.size(), item);
                subRuleIds.put(item, id);
            }
            item = id;
        }
        seq.set(seq.size() - 1, new Item(RangeRules.repetition(last.literal() ? "\"" + item + "\"" : item, min, max,
                ""), false));
    }

    /** A count read as C++'s {@code std::stoi} reads it: white space, a sign, the leading digits, an int range. */
    private static int parseCount(String s) throws Unsupported {
        int p = 0;
        while (p < s.length() && " \t\n\u000B\f\r".indexOf(s.charAt(p)) >= 0) {
            p++;
        }
        int signAt = p;
        if (p < s.length() && (s.charAt(p) == '+' || s.charAt(p) == '-')) {
            p++;
        }
        int digits = p;
        while (p < s.length() && s.charAt(p) >= '0' && s.charAt(p) <= '9') {
            p++;
        }
        if (p == digits) {
            throw new Unsupported("invalid number in curly brackets");
        }
        try {
            return Integer.parseInt(s.substring(signAt, p));
        } catch (NumberFormatException e) {
            throw new Unsupported("invalid number in curly brackets");
        }
    }

    private String literal(char first) throws Unsupported, Invalid {
        int length = sub.length();
        var literal = new StringBuilder();
        while (i < length) {
            char c = sub.charAt(i);
            if (c == '\\') {
                if (i == length - 1) {
                    throw new Invalid("trailing backslash");
                }
                char next = sub.charAt(i + 1);
                if (ESCAPED_IN_REGEX_ONLY.contains(next)) {
                    literal.append(next);
                    i += 2;
                } else {
                    int n = escapeLength(sub, i);
                    if (n == 0) {
                        throw new Unsupported("unsupported escape: " + twoChars());
                    }
                    literal.append(sub, i, i + n);
                    i += n;
                }
            } else if (c == '"') {
                literal.append("\\\"");
                i++;
            } else if (!NON_LITERAL.contains(c) && (i == length - 1 || literal.isEmpty()
                    || sub.charAt(i + 1) == '.' || !NON_LITERAL.contains(sub.charAt(i + 1)))) {
                literal.append(c);
                i++;
            } else {
                break;
            }
        }
        if (literal.isEmpty()) { // nothing was consumed, a stray ']' or '}'
            throw new Unsupported("unsupported character: " + first);
        }
        return literal.toString();
    }

    private String twoChars() {
        return sub.substring(i, Math.min(i + 2, sub.length()));
    }

    /**
     * The length of the GBNF escape at {@code pos} (backslash x and 2 hex digits, backslash u and 4, backslash U
     * and 8, or one of
     * {@code \t \r \n \\ \" \[ \] \-}), or 0 when there is none the grammar parser reads.
     */
    static int escapeLength(String pattern, int pos) {
        if (pos + 1 >= pattern.length() || pattern.charAt(pos) != '\\') {
            return 0;
        }
        int hex;
        switch (pattern.charAt(pos + 1)) {
            case 'x' -> hex = 2;
            case 'u' -> hex = 4;
            case 'U' -> hex = 8;
            case 't', 'r', 'n', '\\', '"', '[', ']', '-' -> {
                return 2;
            }
            default -> {
                return 0;
            }
        }
        if (pos + 2 + hex > pattern.length()) {
            return 0;
        }
        for (int k = pos + 2; k < pos + 2 + hex; k++) {
            char h = pattern.charAt(k);
            if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F'))) {
                return 0;
            }
        }
        return 2 + hex;
    }
}
