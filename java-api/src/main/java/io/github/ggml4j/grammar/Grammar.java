package io.github.ggml4j.grammar;

import io.github.ggml4j.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A constraint on generated text: a GBNF grammar (llama.cpp's syntax, see its {@code grammars/README.md}), a
 * choice among strings, or a JSON Schema turned into GBNF. Parsed and checked once, immutable, shareable across
 * threads and generations; {@link #sampler} makes the per-generation state. A lazy grammar constrains nothing
 * until a trigger (a word, a regular expression, or a token) appears in the output, then constrains from the
 * trigger on, as llama.cpp's {@code llama_sampler_init_grammar_lazy_patterns}.
 *
 * {@snippet :
 * Grammar yesNo = Grammar.choice("yes", "no");
 * Grammar list = Grammar.gbnf("""
 *     root ::= item+
 *     item ::= "- " [a-z]+ "\\n"
 *     """);
 * Grammar json = Grammar.jsonSchema("{\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"integer\"}}}");
 * Grammar tool = Grammar.gbnf("root ::= \"{\" [^}]* \"}\"").withTriggerWords("<tool_call>");
 * session.generate(prompt, GenerateOptions.greedy(64).withGrammar(yesNo));
 * }
 */
public final class Grammar {

    private final String text;
    private final String root;
    private final Rules rules;
    private final boolean textualTokens;
    private final List<Pattern> triggerPatterns;
    private final List<Integer> triggerTokens;
    private final boolean lazy;

    private Grammar(String text, String root, Rules rules, boolean textualTokens, List<Pattern> triggerPatterns,
                    List<Integer> triggerTokens, boolean lazy) {
        this.text = text;
        this.root = root;
        this.rules = rules;
        this.textualTokens = textualTokens;
        this.triggerPatterns = List.copyOf(triggerPatterns);
        this.triggerTokens = List.copyOf(triggerTokens);
        this.lazy = lazy;
    }

    /** The grammar in {@code gbnf}, starting at its rule {@code root}. */
    public static Grammar gbnf(String gbnf) {
        return gbnf(gbnf, "root");
    }

    /**
     * The grammar in {@code gbnf}, starting at the rule {@code root}.
     *
     * @throws GrammarException on a syntax error (with line and column), an undefined rule, left recursion, too
     *                          many repetitions, or no rule named {@code root}
     */
    public static Grammar gbnf(String gbnf, String root) {
        Objects.requireNonNull(gbnf, "gbnf");
        Objects.requireNonNull(root, "root");
        boolean[] textual = {false};
        Rules rules = compile(gbnf, root, s -> {
            textual[0] = true;
            return 0; // checked against the vocabulary when a sampler is made
        });
        return new Grammar(gbnf, root, rules, textual[0], List.of(), List.of(), false);
    }

    /** Exactly one of {@code options}, verbatim. */
    public static Grammar choice(String... options) {
        if (options.length == 0) {
            throw new IllegalArgumentException("a choice needs at least one option");
        }
        StringBuilder b = new StringBuilder("root ::= ");
        for (int i = 0; i < options.length; i++) {
            b.append(i == 0 ? "" : " | ").append(literal(Objects.requireNonNull(options[i], "option")));
        }
        return gbnf(b.append('\n').toString());
    }

    /** Text matching a JSON Schema, through llama.cpp's JSON-Schema-to-GBNF conversion. */
    public static Grammar jsonSchema(String schema) {
        return gbnf(JsonSchemaConverter.toGbnf(Objects.requireNonNull(schema, "schema")));
    }

    /** {@code s} as a GBNF string literal. */
    static String literal(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(c -> {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\x%02X", c));
                    } else {
                        b.appendCodePoint(c);
                    }
                }
            }
        });
        return b.append('"').toString();
    }

    private static Rules compile(String gbnf, String root, java.util.function.ToIntFunction<String> tokens) {
        GbnfParser.Parsed p = GbnfParser.parse(gbnf, tokens);
        if (p.rules().isEmpty()) {
            throw new GrammarException("the grammar has no rules");
        }
        Integer rootId = p.symbols().get(root);
        if (rootId == null) {
            throw new GrammarException("the grammar has no rule '" + root + "'");
        }
        List<String> names = new ArrayList<>(java.util.Collections.nCopies(p.rules().size(), "?"));
        for (Map.Entry<String, Integer> e : p.symbols().entrySet()) {
            if (e.getValue() < names.size()) {
                names.set(e.getValue(), e.getKey());
            }
        }
        try {
            return new Rules(p.rules(), rootId, names);
        } catch (StackOverflowError e) {
            // the left-recursion check follows chains of rules that can be empty; a chain too long for this
            // thread's stack is refused rather than crashing the caller
            throw new GrammarException("the grammar chains rules too deeply to be checked for left recursion");
        }
    }

    /** This grammar, lazy: unconstrained until one of {@code words} appears, then constrained from it on. */
    public Grammar withTriggerWords(String... words) {
        List<String> patterns = new ArrayList<>();
        for (String w : words) {
            if (Objects.requireNonNull(w, "word").isEmpty()) {
                throw new IllegalArgumentException("trigger words must not be empty");
            }
            patterns.add(Pattern.quote(w));
        }
        return withTriggerPatterns(patterns.toArray(String[]::new));
    }

    /**
     * This grammar, lazy: unconstrained until the output so far matches one of {@code regexes} (Java syntax);
     * constrained from the first non-empty capturing group of the match (or the match) on. A pattern from
     * {@code ^} to {@code $} must match the whole output.
     */
    public Grammar withTriggerPatterns(String... regexes) {
        List<Pattern> all = new ArrayList<>(triggerPatterns);
        for (String r : regexes) {
            try {
                all.add(Pattern.compile(Objects.requireNonNull(r, "pattern"), Pattern.DOTALL));
            } catch (PatternSyntaxException e) {
                throw new GrammarException("bad trigger pattern: " + e.getMessage());
            }
        }
        return new Grammar(text, root, rules, textualTokens, all, triggerTokens, true);
    }

    /** This grammar, lazy: unconstrained until one of these tokens is generated, then constrained from it. */
    public Grammar withTriggerTokens(int... tokens) {
        List<Integer> all = new ArrayList<>(triggerTokens);
        for (int t : tokens) {
            if (t < 0) {
                throw new IllegalArgumentException("bad trigger token " + t);
            }
            all.add(t);
        }
        return new Grammar(text, root, rules, textualTokens, triggerPatterns, all, true);
    }

    /** The GBNF text. */
    public String text() {
        return text;
    }

    /** The start rule's name. */
    public String root() {
        return root;
    }

    /** Whether the grammar waits for a trigger. */
    public boolean isLazy() {
        return lazy;
    }

    List<Pattern> triggerPatterns() {
        return triggerPatterns;
    }

    List<Integer> triggerTokens() {
        return triggerTokens;
    }

    /**
     * Whether {@code text} as a whole is a sentence of the grammar (the trigger of a lazy grammar not
     * considered), fed one code point at a time as llama.cpp's tests do.
     *
     * @throws GrammarException if the grammar uses token elements ({@code <[id]>}), which text cannot match
     */
    public boolean matches(String text) {
        if (textualTokens) {
            throw new GrammarException("the grammar refers to tokens by text; match it through a sampler");
        }
        Matcher m = new Matcher(rules);
        int[] cps = text.codePoints().toArray();
        for (int cp : cps) {
            if (!m.accept(0, new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8))) {
                return false;
            }
        }
        return m.complete();
    }

    /** A parse at the start of this grammar (package tests feed it tokens). */
    Matcher matcher() {
        return new Matcher(rules);
    }

    /**
     * The state of this grammar for one generation over {@code tokenizer}'s vocabulary.
     *
     * @throws GrammarException if a {@code <text>} token reference is not exactly one token of the vocabulary
     */
    public GrammarSampler sampler(Tokenizer tokenizer) {
        Objects.requireNonNull(tokenizer, "tokenizer");
        Rules r = rules;
        if (textualTokens) {
            r = compile(text, root, s -> {
                int[] ids = tokenizer.encode(s, false, true);
                return ids.length == 1 ? ids[0] : -1;
            });
        }
        return new GrammarSampler(this, new Matcher(r), TokenTrie.of(tokenizer));
    }

    @Override
    public String toString() {
        return "Grammar[" + (lazy ? "lazy, " : "") + text.length() + " chars]";
    }
}
