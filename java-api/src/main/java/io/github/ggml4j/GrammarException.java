package io.github.ggml4j;

/**
 * A grammar or a JSON Schema cannot be used for constrained decoding: a GBNF syntax error, a malformed JSON text,
 * a schema outside the supported subset, a pattern that is not a valid regular expression, or a limit (nesting
 * depth) exceeded. The message names the position: line and column in the text, the rule, or the JSON pointer of
 * the schema node.
 *
 * {@snippet :
 * try {
 *     var grammar = Grammar.jsonSchema(schemaText);
 * } catch (GrammarException e) {
 *     System.err.println(e.getMessage() + " (line " + e.line() + ", column " + e.column() + ")");
 * }
 * }
 */
public final class GrammarException extends Ggml4jException {

    private static final long serialVersionUID = 1L;

    private final int line;
    private final int column;
    private final String rule;

    /** An error without a text position (for example a schema error, whose message names the schema path). */
    public GrammarException(String message) {
        super(message);
        this.line = -1;
        this.column = -1;
        this.rule = null;
    }

    /**
     * An error at a position of the grammar or JSON text.
     *
     * @param line 1-based line, or -1 when unknown
     * @param column 1-based column, or -1 when unknown
     * @param rule the rule being parsed, or {@code null}
     */
    public GrammarException(String message, int line, int column, String rule) {
        super(message);
        this.line = line;
        this.column = column;
        this.rule = rule;
    }

    /** The 1-based line of the error, or -1 when the error has no text position. */
    public int line() {
        return line;
    }

    /** The 1-based column of the error, or -1 when the error has no text position. */
    public int column() {
        return column;
    }

    /** The rule the error is in, or {@code null}. */
    public String rule() {
        return rule;
    }
}
