package io.github.ggml4j.grammar;

import io.github.ggml4j.Ggml4jException;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.sampling.SamplerChain;
import io.github.ggml4j.sampling.SamplingOptions;
import io.github.ggml4j.session.FinishReason;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Grammar behaviour beyond llama.cpp's own cases: errors name line, column and rule; malformed and pathological
 * grammars are refused or bounded, never a hang or a crash; choices; lazy grammars and their triggers; the
 * sampler chain under a grammar (greedy and sampled), and the trie filter agreeing with the one-token check.
 */
class GrammarBehaviourTest {

    static Model model;
    static Tokenizer tok;

    @BeforeAll
    static void load() {
        model = Model.load(Parity.TINY.cached(), ModelOptions.defaults().withThreads(2).withContextSize(256));
        tok = model.tokenizer();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void errorsNameLineColumnAndRule() {
        GrammarException e = assertThrows(GrammarException.class,
                () -> Grammar.gbnf("root ::= item+\nitem ::= \"a\" @\n"));
        assertEquals(2, e.line(), e.getMessage());
        assertEquals("item", e.rule(), e.getMessage());
        assertEquals(14, e.column(), e.getMessage());
        assertTrue(e.getMessage().startsWith("line 2, column "), e.getMessage());

        GrammarException esc = assertThrows(GrammarException.class, () -> Grammar.gbnf("root ::= \"\\q\""));
        assertEquals(1, esc.line());
        assertEquals(11, esc.column(), esc.getMessage());
        assertTrue(esc.getMessage().contains("unknown escape"), esc.getMessage());

        assertTrue(assertThrows(GrammarException.class, () -> Grammar.gbnf("root ::= thing"))
                .getMessage().contains("'thing'"));
        assertTrue(assertThrows(GrammarException.class, () -> Grammar.gbnf("a ::= \"x\""))
                .getMessage().contains("no rule 'root'"));
        assertTrue(assertThrows(GrammarException.class, () -> Grammar.gbnf("root ::= x\nx ::= root \"a\" | \"b\""))
                .getMessage().contains("left recursion"));
        assertTrue(assertThrows(GrammarException.class, () -> Grammar.gbnf("root ::= \"a\" )"))
                .getMessage().contains("expecting newline or end"));
        Ggml4jException typed = assertThrows(Ggml4jException.class, () -> Grammar.gbnf("root ::= [a"));
        assertTrue(typed instanceof GrammarException);
    }

    @Test
    void malformedAndPathologicalGrammarsNeverHang() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            List<String> refused = List.of(
                    "root ::= (((((([^x]*){0,99}){0,99}){0,99}){0,99}){0,99}){0,99}",
                    "root ::= \"a\"{99999999999999999999}",
                    "root ::= " + "(".repeat(100_000) + "\"a\"" + ")".repeat(100_000),
                    "root ::= " + "[".repeat(50_000),
                    "root ::= \"" + "\\".repeat(1) ,
                    "root ::= <[99999999999]>",
                    "root ::= x\n" + chain(20_000));
            for (String g : refused) {
                assertThrows(GrammarException.class, () -> Grammar.gbnf(g),
                        g.substring(0, Math.min(60, g.length())));
            }
            // ambiguous but legal: bounded work per character and per filtered vocabulary
            Grammar amb = Grammar.gbnf("root ::= x*\nx ::= \"a\" | \"a\" \"a\" | \"a\" \"a\" \"a\" | y\ny ::= \"a\"+");
            assertTrue(amb.matches("a".repeat(2000)));
            Grammar opt = Grammar.gbnf("root ::= (\"a\"?){0,999} \"b\"");
            assertTrue(opt.matches("a".repeat(40) + "b"));
            assertFalse(opt.matches("a".repeat(40) + "c"));
            GrammarSampler s = opt.sampler(tok);
            boolean[] allowed = new boolean[tok.vocabSize()];
            assertTrue(s.mask(allowed) > 0);
            Grammar nested = Grammar.gbnf("root ::= ( ( ( [x]* )* )* )* \"y\"");
            assertTrue(nested.matches("xxxxy"));
            assertTrue(nested.sampler(tok).mask(allowed) > 0);
        });
    }

    private static String chain(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "x" : "x" + i).append(" ::= x").append(i + 1).append("? \"a\"\n");
        }
        return b.append("x").append(n).append(" ::= x \"b\"\n").toString();
    }

    @Test
    void choiceIsExactlyOneOption() {
        Grammar g = Grammar.choice("yes", "no", "say \"hi\"\\\n");
        assertTrue(g.matches("yes"));
        assertTrue(g.matches("no"));
        assertTrue(g.matches("say \"hi\"\\\n"));
        assertFalse(g.matches("ye"));
        assertFalse(g.matches("yesno"));
        assertFalse(g.matches(""));
        assertThrows(IllegalArgumentException.class, Grammar::choice);
    }

    @Test
    void greedyAndSampledGenerationFollowTheGrammar() {
        Grammar g = Grammar.choice("yes", "no", "maybe");
        for (int seed = 0; seed < 4; seed++) {
            SamplingOptions so = seed == 0 ? SamplingOptions.greedy()
                    : SamplingOptions.defaults().withTemperature(1).withSeed(seed);
            Generation out;
            try (Session s = model.newSession(SessionOptions.defaults().withContextSize(256))) {
                out = s.generate("Answer:", GenerateOptions.sampled(16, so).withGrammar(g));
            }
            assertTrue(List.of("yes", "no", "maybe").contains(out.text()), out.text());
            assertEquals(FinishReason.END_OF_GENERATION, out.finishReason(), "only EOS fits a complete choice");
        }
        Grammar digits = Grammar.gbnf("root ::= [0-9]{2,5} \"!\"");
        try (Session s = model.newSession(SessionOptions.defaults().withContextSize(256))) {
            Generation out = s.generate("Number:", GenerateOptions.sampled(24,
                    SamplingOptions.defaults().withTemperature(1).withSeed(9)).withGrammar(digits));
            assertTrue(out.text().matches("[0-9]{2,5}!"), out.text());
        }
    }

    @Test
    void lazyGrammarConstrainsFromItsTrigger() {
        Grammar g = Grammar.gbnf("root ::= \"ID:\" [0-9]+").withTriggerWords("ID:");
        assertTrue(g.isLazy());
        GrammarSampler s = g.sampler(tok);
        int[] before = tok.encode("Hello there, ", false, false);
        for (int t : before) {
            assertFalse(s.active());
            assertTrue(s.allows(t));
            s.accept(t);
        }
        for (int t : tok.encode("ID:", false, false)) {
            s.accept(t);
        }
        assertTrue(s.active(), "the trigger word was produced");
        int digit = tok.encode("7", false, false)[tok.encode("7", false, false).length - 1];
        int letter = tok.encode("x", false, false)[tok.encode("x", false, false).length - 1];
        assertTrue(s.allows(digit), tok.tokenPiece(digit));
        assertFalse(s.allows(letter), tok.tokenPiece(letter));
        assertFalse(s.isComplete());

        Grammar byToken = Grammar.gbnf("root ::= [0-9]+").withTriggerTokens(letter);
        GrammarSampler st = byToken.sampler(tok);
        st.accept(digit);
        assertFalse(st.active());
        assertThrows(GrammarException.class, () -> st.accept(letter), "the trigger token itself must fit");
        assertThrows(GrammarException.class, () -> Grammar.gbnf("root ::= \"a\"").withTriggerPatterns("(["));
    }

    /** The one-walk trie filter and the one-token check agree on every token, at every step of random text. */
    @Test
    void trieFilterAgreesWithTheOneTokenCheck() {
        String[] grammars = {"root ::= [a-z ]+ \".\"", "root ::= (\"ab\" | [^a]+) \"\\n\"",
                "root ::= [\\u0400-\\u04FF\\u3040-\\u30FF]+ | \"x\"*"};
        Random r = new Random(3);
        boolean[] allowed = new boolean[tok.vocabSize()];
        for (String text : grammars) {
            GrammarSampler s = Grammar.gbnf(text).sampler(tok);
            for (int step = 0; step < 6; step++) {
                int count = s.mask(allowed);
                int agreed = 0;
                int pick = -1;
                for (int t = 0; t < tok.vocabSize(); t++) {
                    assertEquals(allowed[t], s.allows(t), text + " step " + step + " token " + t);
                    if (allowed[t] && !tok.isEndOfGeneration(t) && (pick < 0 || r.nextInt(count) == 0)) {
                        pick = t;
                    }
                    agreed += allowed[t] ? 1 : 0;
                }
                assertEquals(count, agreed);
                if (pick < 0) {
                    break;
                }
                s.accept(pick);
            }
        }
    }

    @Test
    void chainWithoutTokenizerRefusesAGrammar() {
        assertThrows(NullPointerException.class,
                () -> SamplerChain.of(SamplingOptions.defaults(), null, Grammar.choice("a")));
    }
}
