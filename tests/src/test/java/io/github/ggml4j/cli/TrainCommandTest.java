package io.github.ggml4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ggml4j train}'s errors; the training itself is covered by TrainerTest and the committed demo model. */
class TrainCommandTest {

    @Test
    void aMissingCorpusIsAnErrorNotACrash(@TempDir Path dir) throws IOException {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        Cli.Result r = Cli.run("train", "--fortunes", empty.toString(), "-o", dir.resolve("out").toString());
        assertEquals(3, r.exit(), r.all());
        assertTrue(r.err().contains("apt-get install fortunes"), r.all());
    }

    @Test
    void badShapesAndOptionsAreUsageErrors(@TempDir Path dir) {
        Cli.Result shape = Cli.run("train", "--shape", "100,2,3", "-o", dir.toString());
        assertEquals(2, shape.exit(), shape.all());
        assertTrue(shape.err().contains("EMBD,LAYERS,HEADS,FF,CTX,VOCAB"), shape.all());
        Cli.Result seq = Cli.run("train", "--seq-len", "512", "-o", dir.toString());
        assertEquals(2, seq.exit(), seq.all());
        Cli.Result lr = Cli.run("train", "--lr", "-1", "-o", dir.toString());
        assertEquals(2, lr.exit(), lr.all());
        assertFalse(Files.exists(dir.resolve("init-f32.gguf")));
    }

    @Test
    void commandsWithoutADefaultModelStillRequireOne() {
        Cli.Result r = Cli.run("bench");
        assertEquals(2, r.exit(), r.all());
        assertTrue(r.err().contains("--model"), r.all());
    }
}
