package io.github.ggml4j.swa;

import io.github.ggml4j.model.KvCacheType;
import io.github.ggml4j.model.KvLayout;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.runtime.ModelAccess;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Run in a fresh JVM (heap fixed and pre-touched, C1 only, so the JVM's own memory barely moves RSS): after a
 * warm-up session of 4·W positions, a rolling cache of window W, one sequence fed to 16·W positions one token
 * at a time; prints {@code rss POSITION VMRSS_KIB RSSANON_KIB} after
 * every W positions and {@code kv BYTES} (the memory's native bytes) at the start and at the end.
 */
public final class RssChild {

    private RssChild() {
    }

    /** A /proc/self/status field in KiB ({@code VmRSS}, {@code RssAnon}). */
    static long statusKib(String field) throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith(field + ":")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no " + field + " in /proc/self/status");
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int w = Integer.parseInt(args[1]);
        ModelOptions o = ModelOptions.defaults().withThreads(2).withContextSize(4 * w).withCachedPrompts(0)
                .withKvCacheType(KvCacheType.F32).withSlidingWindow(w).withKvLayout(KvLayout.ROLLING);
        try (Model m = Model.load(file, o); Session s = m.newSession(SessionOptions.defaults().withContextSize(64 * w))) {
            var engine = ModelAccess.get().engine(m);
            // warm up first (JIT, first-touch of compute buffers) in a session of its own, closed before measuring
            try (Session warm = m.newSession(SessionOptions.defaults().withContextSize(64 * w))) {
                int[] t = Parity.prompt(4 * w, 778);
                warm.evaluate(Arrays.copyOf(t, w));
                for (int i = w; i < t.length; i++) {
                    warm.evaluate(t[i]);
                }
            }
            System.out.println("kv " + engine.stats().memoryBytes());
            int[] tokens = Parity.prompt((args.length > 2 ? Integer.parseInt(args[2]) : 16) * w, 777);
            s.evaluate(Arrays.copyOf(tokens, w));
            for (int i = w; i <= tokens.length; i++) {
                if (i % w == 0) {
                    System.gc();
                    System.out.println("rss " + i + " " + statusKib("VmRSS") + " " + statusKib("RssAnon"));
                }
                if (i < tokens.length) {
                    s.evaluate(tokens[i]);
                }
            }
            System.out.println("kv " + engine.stats().memoryBytes() + " used " + engine.stats().usedCells());
        }
    }
}
