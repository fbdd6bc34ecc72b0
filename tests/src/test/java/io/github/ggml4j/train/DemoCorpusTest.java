package io.github.ggml4j.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DemoCorpusTest {

    @Test
    void overstrikingAndControlCharactersAreRemoved() {
        assertEquals("bold under", DemoCorpus.clean("b\bbo\bol\bld\bd _\bu_\bn_\bd_\be_\br\u0007"));
        assertEquals("a\n\tb", DemoCorpus.clean("  a\n\tb \r\n"));
        assertEquals("", DemoCorpus.clean("%"));
    }

    @Test
    void readsIndexedFilesOnlyAndSplitsOnPercentLines(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("wisdom"), "First one.\n%\nSecond\none.\n%\n%\nThird.\n");
        Files.writeString(dir.resolve("wisdom.dat"), "index");
        Files.writeString(dir.resolve("notindexed"), "Never read.\n%\n");
        Files.writeString(dir.resolve("ascii-art"), "ignored\n%\n");
        Files.writeString(dir.resolve("ascii-art.dat"), "index");
        assertEquals(List.of("First one.", "Second\none.", "Third."), DemoCorpus.read(dir));
    }

    @Test
    void anEmptyDirectoryIsAnError(@TempDir Path dir) {
        IOException e = assertThrows(IOException.class, () -> DemoCorpus.read(dir));
        assertTrue(e.getMessage().contains("apt-get install fortunes"), e.getMessage());
    }

    @Test
    void joinMarksEachFortuneAndShuffleIsFixed() {
        List<String> f = List.of("a", "b", "c", "d", "e", "f", "g", "h");
        assertEquals("<|begin|>a<|end|><|begin|>b<|end|>", DemoCorpus.join(f.subList(0, 2)));
        assertEquals(DemoCorpus.shuffle(f), DemoCorpus.shuffle(f));
        assertNotEquals(f, DemoCorpus.shuffle(f));
        assertEquals(f.stream().sorted().toList(), DemoCorpus.shuffle(f).stream().sorted().toList());
    }
}
