package io.github.ggml4j.grammar;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * GBNF text to rules, with llama.cpp's parser semantics (src/llama-grammar.cpp of the pinned tree): the same
 * symbol ids (names numbered as first seen, synthesized rules named {@code <rule>_<id>}), the same rewriting of
 * groups and repetitions into rules, the same limits (2000 repetitions). Each rule is a flat array of
 * (type, value) pairs ending with {@link #END}. Errors give line, column and the rule being parsed.
 */
final class GbnfParser {

    static final int END = 0;
    static final int ALT = 1;
    static final int RULE_REF = 2;
    static final int CHAR = 3;
    static final int CHAR_NOT = 4;
    static final int CHAR_RNG_UPPER = 5;
    static final int CHAR_ALT = 6;
    static final int CHAR_ANY = 7;
    static final int TOKEN = 8;
    static final int TOKEN_NOT = 9;

    static final int MAX_REPETITION = 2000;
    /** Deepest nesting of groups the parser follows (its recursion is bounded by this, not the thread stack). */
    static final int MAX_NESTING = 300;

    /** The parse: symbol name to id, and each rule's (type, value) pairs. */
    record Parsed(Map<String, Integer> symbols, List<int[]> rules) {
        Parsed {
            symbols = Map.copyOf(symbols);
            rules = List.copyOf(rules);
        }
    }

    private final int[] src; // code points, 0-terminated
    private final ToIntFunction<String> tokenLookup; // "<text>" to a token id, or null
    private final Map<String, Integer> symbols = new LinkedHashMap<>();
    private final List<int[]> rules = new ArrayList<>();
    private String ruleName;
    private int nesting;

    private GbnfParser(String text, ToIntFunction<String> tokenLookup) {
        int[] cps = text.codePoints().toArray();
        this.src = java.util.Arrays.copyOf(cps, cps.length + 1);
        this.tokenLookup = tokenLookup;
    }

    /**
     * Parses {@code text}.
     *
     * @param tokenLookup turns {@code <text>} token references into ids (null: only {@code <[id]>} works)
     * @throws GrammarException on a syntax error or an undefined rule
     */
    static Parsed parse(String text, ToIntFunction<String> tokenLookup) {
        GbnfParser p = new GbnfParser(text, tokenLookup);
        p.parseAll();
        return new Parsed(p.symbols, p.rules);
    }

    private void parseAll() {
        int pos = space(0, true);
        while (src[pos] != 0) {
            pos = parseRule(pos);
        }
        for (int i = 0; i < rules.size(); i++) {
            int[] rule = rules.get(i);
            if (rule == null) {
                throw new GrammarException("undefined rule '" + nameOf(i) + "'");
            }
            for (int j = 0; j < rule.length; j += 2) {
                if (rule[j] == RULE_REF && (rule[j + 1] >= rules.size() || rules.get(rule[j + 1]) == null)) {
                    throw new GrammarException("undefined rule '" + nameOf(rule[j + 1]) + "' (used in '"
                            + nameOf(i) + "')");
                }
            }
        }
        // ids handed out to names that were referenced but never defined, past the last rule
        for (Map.Entry<String, Integer> e : symbols.entrySet()) {
            if (e.getValue() >= rules.size()) {
                throw new GrammarException("undefined rule '" + e.getKey() + "'");
            }
        }
    }

    private String nameOf(int id) {
        for (Map.Entry<String, Integer> e : symbols.entrySet()) {
            if (e.getValue() == id) {
                return e.getKey();
            }
        }
        return "#" + id;
    }

    private GrammarException error(int pos, String message) {
        int line = 1;
        int col = 1;
        for (int i = 0; i < pos && i < src.length - 1; i++) {
            if (src[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        String near = src[pos] == 0 ? "end of input" : "'" + excerpt(pos) + "'";
        return new GrammarException(message + " at " + near, line, col, ruleName);
    }

    private String excerpt(int pos) {
        StringBuilder b = new StringBuilder();
        for (int i = pos; src[i] != 0 && src[i] != '\n' && i < pos + 20; i++) {
            b.appendCodePoint(src[i]);
        }
        return b.toString();
    }

    private int symbolId(String name) {
        Integer id = symbols.get(name);
        if (id != null) {
            return id;
        }
        int next = symbols.size();
        symbols.put(name, next);
        return next;
    }

    private int generateSymbolId(String base) {
        int next = symbols.size();
        symbols.put(base + '_' + next, next);
        return next;
    }

    private void addRule(int id, int[] rule) {
        while (rules.size() <= id) {
            rules.add(null);
        }
        rules.set(id, rule);
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isWordChar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || isDigit(c);
    }

    private int space(int pos, boolean newlineOk) {
        while (src[pos] == ' ' || src[pos] == '\t' || src[pos] == '#'
                || (newlineOk && (src[pos] == '\r' || src[pos] == '\n'))) {
            if (src[pos] == '#') {
                while (src[pos] != 0 && src[pos] != '\r' && src[pos] != '\n') {
                    pos++;
                }
            } else {
                pos++;
            }
        }
        return pos;
    }

    private int nameEnd(int pos) {
        int p = pos;
        while (isWordChar(src[p])) {
            p++;
        }
        if (p == pos) {
            throw error(pos, "expecting a name");
        }
        return p;
    }

    private int intEnd(int pos) {
        int p = pos;
        while (isDigit(src[p])) {
            p++;
        }
        if (p == pos) {
            throw error(pos, "expecting an integer");
        }
        return p;
    }

    private String text(int from, int to) {
        return new String(src, from, to - from);
    }

    private long parseCount(int from, int to) {
        String digits = text(from, to);
        return digits.length() > 12 ? Long.MAX_VALUE : Long.parseLong(digits);
    }

    /** One character of a literal or class: [0] the code point, [1] the position after it. */
    private int[] parseChar(int pos) {
        if (src[pos] == '\\') {
            return switch (src[pos + 1]) {
                case 'x' -> hex(pos + 2, 2);
                case 'u' -> hex(pos + 2, 4);
                case 'U' -> hex(pos + 2, 8);
                case 't' -> new int[] {'\t', pos + 2};
                case 'r' -> new int[] {'\r', pos + 2};
                case 'n' -> new int[] {'\n', pos + 2};
                case '\\', '"', '[', ']', '-' -> new int[] {src[pos + 1], pos + 2};
                default -> throw error(pos, "unknown escape");
            };
        } else if (src[pos] != 0) {
            return new int[] {src[pos], pos + 1};
        }
        throw error(pos, "unexpected end of input");
    }

    private int[] hex(int pos, int size) {
        long value = 0;
        int p = pos;
        for (; p < pos + size && src[p] != 0; p++) {
            int c = src[p];
            int d = c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10
                    : c >= '0' && c <= '9' ? c - '0' : -1;
            if (d < 0) {
                break;
            }
            value = (value << 4) + d;
        }
        if (p != pos + size) {
            throw error(pos, "expecting " + size + " hex chars");
        }
        return new int[] {(int) value, p};
    }

    private int parseRule(int start) {
        int nameEnd = nameEnd(start);
        String name = text(start, nameEnd);
        ruleName = name;
        int pos = space(nameEnd, false);
        int ruleId = symbolId(name);
        if (!(src[pos] == ':' && src[pos + 1] == ':' && src[pos + 2] == '=')) {
            throw error(pos, "expecting ::=");
        }
        pos = space(pos + 3, true);
        pos = parseAlternates(pos, name, ruleId, false);
        if (src[pos] == '\r') {
            pos += src[pos + 1] == '\n' ? 2 : 1;
        } else if (src[pos] == '\n') {
            pos++;
        } else if (src[pos] != 0) {
            throw error(pos, "expecting newline or end");
        }
        return space(pos, true);
    }

    private int parseAlternates(int pos, String name, int ruleId, boolean nested) {
        IntPairs rule = new IntPairs();
        pos = parseSequence(pos, name, rule, nested);
        while (src[pos] == '|') {
            rule.add(ALT, 0);
            pos = space(pos + 1, true);
            pos = parseSequence(pos, name, rule, nested);
        }
        rule.add(END, 0);
        addRule(ruleId, rule.toArray());
        return pos;
    }

    private int parseSequence(int pos, String name, IntPairs rule, boolean nested) {
        int[] lastSymStart = {rule.size()};
        long[] nPrevRules = {1};
        while (src[pos] != 0) {
            int c = src[pos];
            if (c == '"') {
                pos++;
                lastSymStart[0] = rule.size();
                nPrevRules[0] = 1;
                while (src[pos] != '"') {
                    if (src[pos] == 0) {
                        throw error(pos, "unexpected end of input in a string literal");
                    }
                    int[] ch = parseChar(pos);
                    pos = ch[1];
                    rule.add(CHAR, ch[0]);
                }
                pos = space(pos + 1, nested);
            } else if (c == '[') {
                pos++;
                int startType = CHAR;
                if (src[pos] == '^') {
                    pos++;
                    startType = CHAR_NOT;
                }
                lastSymStart[0] = rule.size();
                nPrevRules[0] = 1;
                while (src[pos] != ']') {
                    if (src[pos] == 0) {
                        throw error(pos, "unexpected end of input in a character class");
                    }
                    int[] ch = parseChar(pos);
                    pos = ch[1];
                    rule.add(lastSymStart[0] < rule.size() ? CHAR_ALT : startType, ch[0]);
                    if (src[pos] == '-' && src[pos + 1] != ']') {
                        if (src[pos + 1] == 0) {
                            throw error(pos + 1, "unexpected end of input in a character class");
                        }
                        int[] end = parseChar(pos + 1);
                        pos = end[1];
                        rule.add(CHAR_RNG_UPPER, end[0]);
                    }
                }
                pos = space(pos + 1, nested);
            } else if (c == '<' || c == '!') {
                int type = TOKEN;
                if (c == '!') {
                    type = TOKEN_NOT;
                    pos++;
                }
                int[] tok = parseToken(pos);
                lastSymStart[0] = rule.size();
                nPrevRules[0] = 1;
                rule.add(type, tok[0]);
                pos = space(tok[1], nested);
            } else if (isWordChar(c)) {
                int end = nameEnd(pos);
                int ref = symbolId(text(pos, end));
                pos = space(end, nested);
                lastSymStart[0] = rule.size();
                nPrevRules[0] = 1;
                rule.add(RULE_REF, ref);
            } else if (c == '(') {
                if (++nesting > MAX_NESTING) {
                    throw error(pos, "groups nested more than " + MAX_NESTING + " deep");
                }
                pos = space(pos + 1, true);
                int before = symbols.size();
                int sub = generateSymbolId(name);
                pos = parseAlternates(pos, name, sub, true);
                nesting--;
                nPrevRules[0] = Math.max(1, symbols.size() - before);
                lastSymStart[0] = rule.size();
                rule.add(RULE_REF, sub);
                if (src[pos] != ')') {
                    throw error(pos, "expecting ')'");
                }
                pos = space(pos + 1, nested);
            } else if (c == '.') {
                lastSymStart[0] = rule.size();
                nPrevRules[0] = 1;
                rule.add(CHAR_ANY, 0);
                pos = space(pos + 1, nested);
            } else if (c == '*' || c == '+' || c == '?') {
                int at = pos;
                pos = space(pos + 1, nested);
                repeat(at, name, rule, lastSymStart[0], nPrevRules, c == '+' ? 1 : 0, c == '?' ? 1 : -1);
            } else if (c == '{') {
                int at = pos;
                pos = space(pos + 1, nested);
                if (!isDigit(src[pos])) {
                    throw error(pos, "expecting an int");
                }
                int intEnd = intEnd(pos);
                long min = parseCount(pos, intEnd);
                pos = space(intEnd, nested);
                long max;
                if (src[pos] == '}') {
                    max = min;
                    pos = space(pos + 1, nested);
                } else if (src[pos] == ',') {
                    pos = space(pos + 1, nested);
                    max = -1;
                    if (isDigit(src[pos])) {
                        int e = intEnd(pos);
                        max = parseCount(pos, e);
                        pos = space(e, nested);
                    }
                    if (src[pos] != '}') {
                        throw error(pos, "expecting '}'");
                    }
                    pos = space(pos + 1, nested);
                } else {
                    throw error(pos, "expecting ','");
                }
                if (min > MAX_REPETITION) {
                    throw error(at, "number of repetitions exceeds " + MAX_REPETITION);
                }
                if (max > MAX_REPETITION) {
                    max = -1;
                }
                repeat(at, name, rule, lastSymStart[0], nPrevRules, min, max);
            } else {
                break;
            }
        }
        return pos;
    }

    /** S{min,max} rewritten as llama.cpp does; {@code max < 0}: no upper bound. */
    private void repeat(int at, String name, IntPairs rule, int lastSymStart, long[] nPrevRules, long min,
                        long max) {
        boolean noMax = max < 0;
        if (lastSymStart == rule.size()) {
            throw error(at, "expecting an item before */+/?/{");
        }
        int[] prev = rule.slice(lastSymStart, rule.size());
        long total = 1;
        if (!noMax && max > 0) {
            total = max;
        } else if (min > 0) {
            total = min;
        }
        if (nPrevRules[0] * total > MAX_REPETITION) {
            throw error(at, "the repeated rules times the repetitions exceed " + MAX_REPETITION
                    + "; reduce the repetitions or the rule's complexity");
        }
        if (min == 0) {
            rule.truncate(lastSymStart);
        } else {
            for (long i = 1; i < min; i++) {
                rule.addAll(prev);
            }
        }
        int lastRec = 0;
        long nOpt = noMax ? 1 : max - min;
        for (long i = 0; i < nOpt; i++) {
            IntPairs rec = new IntPairs();
            rec.addAll(prev);
            int recId = generateSymbolId(name);
            if (i > 0 || noMax) {
                rec.add(RULE_REF, noMax ? recId : lastRec);
            }
            rec.add(ALT, 0);
            rec.add(END, 0);
            addRule(recId, rec.toArray());
            lastRec = recId;
        }
        if (nOpt > 0) {
            rule.add(RULE_REF, lastRec);
        }
        nPrevRules[0] *= total;
    }

    /** {@code <[id]>} or {@code <text>}: [0] the token id, [1] the position after the reference. */
    private int[] parseToken(int start) {
        int pos = start;
        if (src[pos] != '<') {
            throw error(pos, "expecting '<'");
        }
        pos++;
        if (src[pos] == '[') {
            pos++;
            int end = intEnd(pos);
            long id = parseCount(pos, end);
            if (id > Integer.MAX_VALUE) {
                throw error(pos, "token id out of range");
            }
            pos = end;
            if (src[pos] != ']') {
                throw error(pos, "expecting ']'");
            }
            pos++;
            if (src[pos] != '>') {
                throw error(pos, "expecting '>'");
            }
            return new int[] {(int) id, pos + 1};
        }
        if (tokenLookup == null) {
            throw error(start, "no vocabulary to look up a token (use <[id]>)");
        }
        while (src[pos] != 0 && src[pos] != '>') {
            pos++;
        }
        if (src[pos] != '>') {
            throw error(pos, "expecting '>'");
        }
        pos++;
        int id = tokenLookup.applyAsInt(text(start, pos));
        if (id < 0) {
            throw error(start, "'" + text(start, pos) + "' is not exactly one token");
        }
        return new int[] {id, pos};
    }

    /** A growable list of (type, value) pairs. */
    private static final class IntPairs {
        private int[] a = new int[16];
        private int n;

        void add(int type, int value) {
            if (n + 2 > a.length) {
                a = java.util.Arrays.copyOf(a, a.length * 2);
            }
            a[n++] = type;
            a[n++] = value;
        }

        void addAll(int[] pairs) {
            for (int i = 0; i < pairs.length; i += 2) {
                add(pairs[i], pairs[i + 1]);
            }
        }

        /** The number of pairs. */
        int size() {
            return n / 2;
        }

        int[] slice(int fromPair, int toPair) {
            return java.util.Arrays.copyOfRange(a, fromPair * 2, toPair * 2);
        }

        void truncate(int pairs) {
            n = pairs * 2;
        }

        int[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }
}
