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

    /**
     * At Llama 3's 128k vocabulary (llama-bpe, byte-level pieces) on the benchmark's documents: json.gbnf and a
     * 20-property object, the filter at every step equals llama.cpp's.
     */
    @Test
    void filterEqualsLlamaCppsAt128k() throws IOException {
        Path vocab = SyntheticLlama.vocabPath("llama-bpe");
        Tokenizer bpe;
        try (io.github.ggml4j.gguf.GgufFile f = io.github.ggml4j.gguf.GgufFile.open(vocab)) {
            bpe = Tokenizer.fromGguf(f);
        }
        String json = Files.readString(LlamaCppGrammar.tree().resolve("grammars/json.gbnf"));
        for (String[] c : new String[][] {{json, io.github.ggml4j.perf.GrammarCost.jsonDoc()},
                {io.github.ggml4j.perf.GrammarCost.OBJECT20, io.github.ggml4j.perf.GrammarCost.object20Doc()}}) {
            Grammar g = Grammar.gbnf(c[0]);
            assertTrue(g.matches(c[1]), "the benchmark document fits its grammar");
            int[] seq = io.github.ggml4j.perf.GrammarCost.tokens(bpe, g, c[1]);
            List<String> ref = LlamaCppGrammar.run("mask", vocab, c[0], List.of(seq));
            List<String> mine = new ArrayList<>();
            boolean[] allowed = new boolean[bpe.vocabSize()];
            GrammarSampler ours = g.sampler(bpe);
            for (int i = 0; i <= seq.length; i++) {
                ours.mask(allowed);
                mine.add(LlamaCppGrammar.digest(allowed, bpe.vocabSize()));
                if (i < seq.length) {
                    ours.accept(seq[i]);
                }
            }
            mine.add("end");
            assertEquals(ref, mine, "allowed tokens per step at 128k");
            assertTrue(ours.isComplete());
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
