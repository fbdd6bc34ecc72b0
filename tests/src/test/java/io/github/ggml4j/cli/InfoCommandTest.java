package io.github.ggml4j.cli;

import io.github.ggml4j.Ggml4j;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ggml4j info}: the pinned ggml version, the CPU backend and device, the CPU's features. */
class InfoCommandTest {

    @Test
    void showsGgmlVersionAndCpu() {
        Cli.Result r = Cli.run("info");
        assertEquals(0, r.exit(), r.all());
        assertEquals("", r.err());
        String out = r.out();
        assertTrue(out.startsWith("ggml version   : 0.25.1 (commit "), out);
        assertTrue(out.contains("\n  CPU          1 device(s)\n"), out);
        assertTrue(out.lines().anyMatch(l -> l.matches("  CPU +CPU +.+ \\([0-9,]+ MiB free of [0-9,]+ MiB\\)")), out);
        assertTrue(out.contains("threads        : " + Ggml4j.defaultThreads() + " (default)"), out);
        // every x86-64 CPU ggml runs on has SSE3; the line lists what the loaded CPU backend reports
        assertTrue(out.lines().anyMatch(l -> l.startsWith("cpu features   : ") && l.contains("SSE3")), out);
        // the kernel probe's verdict on each CPU buffer type (this project's x86 machines have at least CPU_REPACK)
        assertTrue(out.lines().anyMatch(l -> l.startsWith("kernel probe   : ")), out);
        assertTrue(out.contains("\ncpu buffer types:\n"), out);
        assertTrue(out.lines().anyMatch(l -> l.matches("  CPU_REPACK +(usable +passed \\[.*q4_0.*]|disabled .+)")), out);
    }
}
