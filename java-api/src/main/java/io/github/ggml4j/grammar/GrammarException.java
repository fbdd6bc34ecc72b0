package io.github.ggml4j.grammar;

import io.github.ggml4j.Ggml4jException;

/**
 * A grammar (GBNF or JSON Schema) that cannot be used: a syntax error, an undefined rule, left recursion, too
 * many repetitions, a missing root rule; or, while generating, a grammar so ambiguous that one step would take
 * unbounded work. Syntax errors carry the 1-based line and column (in code points) and the rule being parsed.
 *
 * {@snippet :
 * try {
 *     Grammar.gbnf("root ::= \"a\" | ");
 * } catch (GrammarException e) {
 *     System.err.println(e.line() + ":" + e.column() + " " + e.getMessage());
 * }
 * }
 */
public final class GrammarException extends Ggml4jException {

    private static final long serialVersionUID = 1L;

    private final int line;
    private final int column;
    private final String rule;

    /** An error without a position (line and column 0). */
    public GrammarException(String message) {
        this(message, 0, 0, null);
    }

    /**
     * @param line   1-based line of the error, 0 if none
     * @param column 1-based column (code points) of the error, 0 if none
     * @param rule   the rule being parsed, or null
     */
    public GrammarException(String message, int line, int column, String rule) {
        super(line > 0 ? "line " + line + ", column " + column + (rule == null ? "" : " (rule '" + rule + "')")
                + ": " + message : message);
        this.line = line;
        this.column = column;
        this.rule = rule;
    }

    /** 1-based line of the error; 0 when the error has no position. */
    public int line() {
        return line;
    }

    /** 1-based column of the error in code points; 0 when the error has no position. */
    public int column() {
        return column;
    }

    /** The rule being parsed when the error was found, or null. */
    public String rule() {
        return rule;
    }
}
