package io.github.ggml4j.swa;

import io.github.ggml4j.testing.SyntheticLlama;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Generating 16·W positions with the rolling cache: the KV memory is exactly W slots per layer per sequence
 * from the start to the end, and the process's anonymous RSS (native buffers, malloc, the heap) does not grow
 * after the first W positions. Measured in a child JVM whose heap is fixed and pre-touched, after a warm-up
 * session, with C1 only, so the JVM's own memory cannot hide or fake native growth. VmRSS is printed beside
 * it but not bounded: it also counts the model file's mapped pages, and each token id seen for the first
 * time pages in its embedding row. The bound is a quarter of what a cache growing by one position per token
 * would add.
 */
class RollingRssTest {

    @Test
    void rssStaysFlatAfterTheFirstWindow() throws Exception {
        int w = 64;
        // 8 layers, 4 KV heads of 64: 512 K+V values per layer and position, 16 KiB per position in F32
        SyntheticLlama spec = SyntheticLlama.llama(256, 8, 4, 4, 512).withStd(0.1).withSeed(11);
        Path file = spec.cached();
        long perPosition = 8L * 512 * 4;
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-Xms192m", "-Xmx192m", "-XX:+AlwaysPreTouch",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                RssChild.class.getName(), file.toString(), Integer.toString(w)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        List<long[]> rss = new ArrayList<>();
        List<String> kv = new ArrayList<>();
        for (String l : out.split("\n")) {
            String[] f = l.trim().split(" ");
            if (f[0].equals("rss")) {
                rss.add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])});
            } else if (f[0].equals("kv")) {
                kv.add(l.trim());
            }
        }
        assertEquals(16, rss.size(), out);
        // 4 sequences' rings (context 4·W), exactly W slots each, the same bytes at 16·W as at the start
        long bytes = 4L * w * perPosition;
        assertEquals(List.of("kv " + bytes, "kv " + bytes + " used " + w), kv, out);
        long first = rss.get(0)[2];
        long max = rss.stream().mapToLong(r -> r[2]).max().orElseThrow();
        long growingCache = 15L * w * perPosition / 1024; // KiB a cache keeping every position would add
        StringBuilder curve = new StringBuilder();
        rss.forEach(r -> curve.append(r[0]).append(':').append(r[2]).append('/').append(r[1]).append(' '));
        System.out.printf("rolling W=%d, KV %,d bytes (W slots x 8 layers x 4 sequences) at 0 and 16W; KiB by "
                + "position, RssAnon/VmRSS: %s; RssAnon growth after W: %d KiB (a growing cache: %d KiB)%n", w, bytes,
                curve, max - first, growingCache);
        assertTrue(max - first < growingCache / 4, "anonymous RSS grew by " + (max - first)
                + " KiB after the first W positions: " + curve);
    }
}
