package io.github.ggml4j.train;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BpeTrainerTest {

    static final String TEXT = "the cat sat on the mat. the cat ate the rat. that is the thing; the theme.\n";

    @Test
    void theMostFrequentPairIsMergedFirst() {
        BpeTrainer.Vocab v = BpeTrainer.train(TEXT.repeat(3), 260);
        // "t h" (9 times a line: "the" six times, "that", "thing", "theme") beats "Ġ t" (8) and "a t" (7)
        assertEquals("t h", v.merges().getFirst());
        assertEquals(260, v.tokens().size());
        assertEquals(4, v.merges().size());
    }

    @Test
    void tokensAreTheBytesThenOneNewTokenPerMerge() {
        BpeTrainer.Vocab v = BpeTrainer.train(TEXT.repeat(5), 300);
        assertEquals(256, new HashSet<>(v.tokens().subList(0, 256)).size());
        Set<String> known = new HashSet<>(v.tokens());
        assertEquals(v.tokens().size(), known.size(), "no duplicate tokens");
        Set<String> seen = new HashSet<>(v.tokens().subList(0, 256));
        for (String m : v.merges()) {
            String[] ab = m.split(" ");
            assertEquals(2, ab.length, m);
            assertTrue(seen.contains(ab[0]) && seen.contains(ab[1]), "merge of known symbols: " + m);
            seen.add(ab[0] + ab[1]);
            assertTrue(known.contains(ab[0] + ab[1]), m);
        }
    }

    @Test
    void trainingStopsWhenNoPairRepeats() {
        BpeTrainer.Vocab v = BpeTrainer.train("abc", 4096);
        assertTrue(v.tokens().size() < 260, "no pair occurs twice: " + v.tokens().size());
    }

    @Test
    void isDeterministicAndByteLevel() {
        assertEquals(BpeTrainer.train(TEXT, 280), BpeTrainer.train(TEXT, 280));
        assertEquals("ĠGrÃ¼ÃŁe", BpeTrainer.byteLevel(" Grüße"));
        assertEquals(List.of(), BpeTrainer.train("", 300).merges());
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.train(TEXT, 255));
    }
}
