package io.github.ggml4j.cli;

import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.testing.SyntheticOlmo2;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code gguf FILE} and {@code info -m FILE} say which layers are windowed and the KV bytes per sequence. */
class AttentionLayoutCommandTest {

    @Test
    void interleavedWindowLayersAndBytesPerSequence() {
        // 4 layers, 2 KV heads of 16: 64 K+V values per layer and position, 128 bytes in F16
        Path f = SyntheticOlmo2.of(64, 4, 4, 2, 192).withWindow(16).cached();
        for (String[] args : new String[][] {{"gguf", f.toString()}, {"info", "-m", f.toString()}}) {
            Cli.Result r = Cli.run(args);
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.out().contains("sliding window 16 on 3 of 4 layers [0, 1, 2], the others dense"), r.out());
            assertTrue(r.out().contains("rolling: " + String.format("%,d", 3 * 16 * 128) + " bytes for the windowed "
                    + "layers (16 slots each) + 128 bytes per position for the 1 dense layer(s)"), r.out());
            assertTrue(r.out().contains("full: 512 bytes per position"), r.out());
        }
        // one flag per layer
        Path g = SyntheticOlmo2.of(64, 4, 4, 2, 192).withWindow(16).withFlags(false, true, true, false).cached();
        assertTrue(Cli.run("gguf", g.toString()).out().contains("sliding window 16 on 2 of 4 layers [1, 2]"));
    }

    @Test
    void noWindow() {
        Cli.Result r = Cli.run("gguf", Parity.TINY.cached().toString());
        assertEquals(0, r.exit(), r.err());
        // 2 layers, 2 KV heads of 16: 64 values, 128 bytes per layer and position in F16
        assertTrue(r.out().contains("full causal attention on all 2 layers"), r.out());
        assertTrue(r.out().contains("KV cache (f16): 256 bytes per position per sequence"), r.out());
    }
}
