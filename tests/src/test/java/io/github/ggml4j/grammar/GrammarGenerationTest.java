package io.github.ggml4j.grammar;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.sampling.SamplingOptions;
import io.github.ggml4j.session.FinishReason;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.testing.SyntheticLlama;
import io.github.ggml4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every sample grammar of the pinned tree (grammars/*.gbnf) parses; generation under each on a synthetic Llama
 * (llama-spm vocabulary, random weights: nearly every drawn token is refused, so the full filter runs), sampling
 * at temperature 1 with three seeds, gives tokens that our grammar accepts and llama.cpp's grammar sampler
 * accepts, ending where both say the grammar is complete; and at every step of those outputs our
 * vocabulary filter lets through exactly the tokens llama.cpp's does.
 */
class GrammarGenerationTest {

    static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(Parity.TINY.cached(), ModelOptions.defaults().withThreads(2).withContextSize(256));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static List<Path> sampleGrammars() throws IOException {
        try (Stream<Path> s = Files.list(LlamaCppGrammar.tree().resolve("grammars"))) {
            return s.filter(p -> p.toString().endsWith(".gbnf")).sorted().toList();
        }
    }

    @Test
    void everySampleGrammarParses() throws IOException {
        List<Path> files = sampleGrammars();
        assertTrue(files.size() >= 8, "sample grammars: " + files);
        for (Path f : files) {
            Grammar.gbnf(Files.readString(f));
        }
    }

    @Test
    void generationUnderEachSampleGrammarFitsOursAndLlamaCpps() throws IOException {
        Tokenizer tok = model.tokenizer();
        Path vocab = SyntheticLlama.vocabPath(Parity.TINY.vocab());
        int runs = 0;
        for (Path f : sampleGrammars()) {
            String text = Files.readString(f);
            Grammar g = Grammar.gbnf(text);
            List<int[]> outputs = new ArrayList<>();
            List<Boolean> ended = new ArrayList<>();
            for (long seed = 1; seed <= 3; seed++) {
                GenerateOptions o = GenerateOptions.sampled(12, SamplingOptions.defaults().withTemperature(1)
                        .withSeed(seed)).withGrammar(g);
                Generation out;
                try (Session s = model.newSession(SessionOptions.defaults().withContextSize(256))) {
                    out = s.generate("Once upon a time", o);
                }
                GrammarSampler ours = g.sampler(tok);
                for (int t : out.tokens()) {
                    assertTrue(ours.allows(t), f.getFileName() + " seed " + seed + ": token " + t);
                    ours.accept(t);
                }
                boolean eog = out.finishReason() == FinishReason.END_OF_GENERATION;
                if (eog) {
                    assertTrue(ours.isComplete(), f.getFileName() + " ended where the grammar is incomplete");
                }
                outputs.add(out.tokens());
                ended.add(eog);
                runs++;
            }
            List<String> ref = LlamaCppGrammar.run("check", vocab, text, outputs);
            assertEquals(outputs.size(), ref.size(), "llama.cpp's answers for " + f.getFileName() + ": " + ref);
            for (int i = 0; i < ref.size(); i++) {
                assertTrue(ref.get(i).startsWith("ok"), f.getFileName() + " output " + i + " refused by llama.cpp: "
                        + ref.get(i));
                if (ended.get(i)) {
                    assertEquals("ok complete", ref.get(i), f.getFileName() + " output " + i);
                }
            }
            // the whole-vocabulary filter, step by step, against llama.cpp's
            List<String> masks = LlamaCppGrammar.run("mask", vocab, text, outputs);
            List<String> mine = new ArrayList<>();
            boolean[] allowed = new boolean[tok.vocabSize()];
            for (int[] seq : outputs) {
                GrammarSampler ours = g.sampler(tok);
                for (int i = 0; i <= seq.length; i++) {
                    ours.mask(allowed);
                    mine.add(LlamaCppGrammar.digest(allowed, tok.vocabSize()));
                    if (i < seq.length) {
                        ours.accept(seq[i]);
                    }
                }
                mine.add("end");
            }
            assertEquals(masks, mine, "allowed tokens per step under " + f.getFileName());
        }
        assertEquals(sampleGrammars().size() * 3, runs);
    }
}
