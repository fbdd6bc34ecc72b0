package io.github.ggml4j.nativ;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The verdict cache: keys, complete entries only, one computation per key. */
class ProbeCacheTest {

    private static final List<ProbeVerdict> VERDICTS = List.of(new ProbeVerdict("native", -1, true, "passed",
            List.of(new ProbeVerdict.Buft("CPU_REPACK", true, "passed", Set.of("q4_0", "q4_K")))));

    @TempDir
    Path tmp;

    @Test
    void computesOnceThenReads() throws Exception {
        ProbeCache c = new ProbeCache(tmp);
        AtomicInteger runs = new AtomicInteger();
        ProbeCache.Entry a = c.getOrCompute("k1", () -> {
            runs.incrementAndGet();
            return VERDICTS;
        });
        assertFalse(a.fromCache());
        ProbeCache.Entry b = c.getOrCompute("k1", () -> {
            runs.incrementAndGet();
            return List.of();
        });
        assertTrue(b.fromCache());
        assertEquals(VERDICTS, b.verdicts());
        assertEquals(1, runs.get());
        assertEquals(List.of(tmp.resolve("k1.verdict")), ProbeCache.entries(tmp));
    }

    @Test
    void threadsOfOneJvmComputeOnce() throws Exception {
        ProbeCache c = new ProbeCache(tmp);
        AtomicInteger runs = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<ProbeCache.Entry>> fs = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                fs.add(pool.submit(() -> c.getOrCompute("k", () -> {
                    runs.incrementAndGet();
                    return VERDICTS;
                })));
            }
            for (Future<ProbeCache.Entry> f : fs) {
                assertEquals(VERDICTS, f.get().verdicts());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, runs.get());
    }

    /** Every strict prefix of an entry (a torn write), and an entry for another key, reads as missing. */
    @Test
    void onlyCompleteEntriesOfTheRightKeyAreRead() throws Exception {
        Path f = tmp.resolve("k.verdict");
        String whole = String.join("\n", ProbeCache.format("k", VERDICTS)) + "\n";
        Files.writeString(f, whole);
        assertNotNull(ProbeCache.read(f, "k"));
        assertNull(ProbeCache.read(f, "other"));
        for (int i = 0; i < whole.length() - 1; i++) {
            Files.writeString(f, whole.substring(0, i));
            assertNull(ProbeCache.read(f, "k"), "prefix of " + i + " chars was read as complete");
        }
        Files.writeString(f, whole.replace("q4_0", "q4_1"));
        assertNull(ProbeCache.read(f, "k"), "a changed body fails the CRC");
        assertNull(ProbeCache.read(tmp.resolve("missing.verdict"), "k"));
    }

    @Test
    void damagedEntryIsRecomputedAndReplaced() throws Exception {
        ProbeCache c = new ProbeCache(tmp);
        Files.writeString(tmp.resolve("k.verdict"), "ggml4j-probe-cache 1\nkey k\nV\tnative\t");
        ProbeCache.Entry e = c.getOrCompute("k", () -> VERDICTS);
        assertFalse(e.fromCache());
        assertEquals(VERDICTS, ProbeCache.read(tmp.resolve("k.verdict"), "k"));
    }

    @Test
    void keysDependOnEveryPart() {
        assertEquals(ProbeCache.key("a", "b"), ProbeCache.key("a", "b"));
        assertNotEquals(ProbeCache.key("a", "b"), ProbeCache.key("ab", ""));
        assertNotEquals(ProbeCache.key("a", "b"), ProbeCache.key("a", "c"));
        assertTrue(ProbeCache.key("x").matches("[0-9a-f]{32}"));
    }
}
