package io.github.ggml4j.nativ;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.testing.SyntheticLlama;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel probe against real model runs, each in child JVMs (the verdict is decided once per JVM, and a
 * kernel that crashes must take down only a child). Children get this build's natives, a temp cache and no
 * checkout around them.
 */
class KernelProbeChildJvmTest {

    private static final String NOWHERE = "/nonexistent/ggml4j-root";
    private static final int STEPS = 12;
    private static final Pattern CHECK_TYPE = Pattern.compile("mul_mat (\\S+) ");

    @TempDir
    Path tmp;

    private static Path libs() {
        return NativeLoader.ensureLoaded().libraryDir();
    }

    static Path probeExe() {
        Path exe = libs().resolve("ggml4j-probe");
        assertTrue(Files.isExecutable(exe), "the natives lack the probe executable " + exe);
        return exe;
    }

    private ChildJvm child(Path cache) throws IOException {
        Path work = Files.createDirectories(tmp.resolve("work"));
        return new ChildJvm(work, cache).property("ggml4j.root", NOWHERE)
                .property(NativeLoader.LIBRARY_PATH_PROPERTY, libs().toString())
                .property(ProbeCache.DIR_PROPERTY, cache.resolve("probe").toString());
    }

    /** A small Llama in a weight type the buffer type takes (Q4_0 where it can: every fast path has it). */
    private static Path modelFor(ProbeVerdict.Buft b, String failedType) {
        String type = failedType;
        if (type == null) {
            type = Stream.of("q4_0", "q8_0", "q4_K", "iq4_nl").filter(b.types()::contains).findFirst()
                    .orElseGet(() -> b.types().stream().sorted().findFirst().orElseThrow(
                            () -> new AssertionError(b.name() + " passed no weight type")));
        }
        return SyntheticLlama.llama(256, 2, 4, 2, 512).withTypes(GgmlType.fromName(type)).cached().toAbsolutePath();
    }

    private static String othersThan(ProbeVerdict v, String name) {
        return v.bufts().stream().map(ProbeVerdict.Buft::name).filter(n -> !n.equals(name))
                .collect(Collectors.joining(","));
    }

    /**
     * The probe's verdict here and real model runs agree, buffer type by buffer type (all others switched off):
     * one that passed holds weights and gives the same greedy tokens as the plain CPU path; one that failed,
     * forced on with the probe off, crashes the child JVM as the probe predicted.
     */
    @Test
    void verdictAgreesWithModelRuns() throws Exception {
        ProbeVerdict v = KernelProbe.probe(probeExe(), null, "native", 120);
        assertTrue(v.usable(), v::toString);
        assertFalse(v.bufts().isEmpty(), "the CPU backend offers no extra buffer type on this x86 machine: " + v);
        int checked = 0;
        for (ProbeVerdict.Buft b : v.bufts()) {
            String others = othersThan(v, b.name());
            if (b.usable()) {
                Path model = modelFor(b, null);
                ChildJvm.Result with = child(tmp.resolve("cache")).property("ggml4j.cpu.disable", others)
                        .runMain(ProbeChild.class, "generate", model.toString(), Integer.toString(STEPS));
                assertEquals(0, with.exit(), with::toString);
                assertTrue(with.value("placement").contains("in " + b.name()), "weights not in " + b.name() + ": " + with);
                ChildJvm.Result plain = child(tmp.resolve("cache"))
                        .runMain(ProbeChild.class, "generate", model.toString(), Integer.toString(STEPS), "norepack");
                assertEquals(0, plain.exit(), plain::toString);
                assertFalse(plain.value("placement").contains(" in " + b.name()), plain::toString);
                assertNotNull(with.value("tokens"), with::toString);
                assertEquals(plain.value("tokens"), with.value("tokens"), "greedy tokens with " + b.name() + " vs plain CPU");
            } else {
                Matcher m = CHECK_TYPE.matcher(b.reason());
                Path model = modelFor(b, m.find() ? m.group(1) : "q4_0");
                ChildJvm.Result forced = child(tmp.resolve("cache")).property("ggml4j.probe", "off")
                        .property("ggml4j.cpu.disable", others)
                        .runMain(ProbeChild.class, "generate", model.toString(), Integer.toString(STEPS));
                assertNotEquals(0, forced.exit(), () -> b.name() + " failed its probe (" + b.reason()
                        + ") but ran a model when forced on: " + forced);
                assertNull(forced.value("tokens"), forced::toString);
            }
            checked++;
        }
        assertEquals(v.bufts().size(), checked);
    }

    /** An injected probe crash disables the buffer type; the model loads and generates as on the plain CPU path. */
    @Test
    void injectedCrashFallsBackToThePlainPath() throws Exception {
        ProbeVerdict real = KernelProbe.probe(probeExe(), null, "native", 120);
        ProbeVerdict.Buft target = real.bufts().stream().filter(ProbeVerdict.Buft::usable).findFirst()
                .orElseThrow(() -> new AssertionError("no extra buffer type passes here, nothing to inject into: " + real));
        Path cache = tmp.resolve("inject");
        String inject = "crash:" + target.name();
        ChildJvm.Result state = child(cache).env(CpuPaths.INJECT_ENV, inject).runMain(ProbeChild.class, "state");
        assertEquals(0, state.exit(), state::toString);
        String line = state.value("buft." + target.name());
        assertTrue(line.startsWith("disabled;crashed (SIGSEGV) in mul_mat"), state::toString);
        assertTrue(state.stderr().contains("CPU buffer type " + target.name() + " disabled: crashed (SIGSEGV)"),
                "one logged line says what and why: " + state.stderr());

        Path model = modelFor(target, null);
        ChildJvm.Result injected = child(cache).env(CpuPaths.INJECT_ENV, inject)
                .runMain(ProbeChild.class, "generate", model.toString(), Integer.toString(STEPS));
        assertEquals(0, injected.exit(), injected::toString);
        assertFalse(injected.value("placement").contains(" in " + target.name()), injected::toString);
        assertNotNull(injected.value("tokens"), injected::toString);
        ChildJvm.Result plain = child(cache)
                .runMain(ProbeChild.class, "generate", model.toString(), Integer.toString(STEPS), "norepack");
        assertEquals(0, plain.exit(), plain::toString);
        assertEquals(plain.value("tokens"), injected.value("tokens"));
        // without the injection the same cache holds a separate, passing verdict
        ChildJvm.Result clean = child(cache).runMain(ProbeChild.class, "state");
        assertTrue(clean.value("buft." + target.name()).startsWith("usable;passed"), clean::toString);
        assertEquals(2, ProbeCache.entries(cache.resolve("probe")).size());
    }

    /**
     * Two JVMs starting at once with an empty cache: one runs the probe (slowed down by 2 s so the other surely
     * starts meanwhile), the other waits for its entry; one complete entry, no temp file left.
     */
    @Test
    void concurrentFirstUseWritesOneEntry() throws Exception {
        for (int round = 0; round < 1; round++) {
            Path cache = tmp.resolve("race" + round);
            List<ChildJvm.Running> running = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                running.add(child(cache).env(CpuPaths.INJECT_ENV, "slow:CPU").start(ProbeChild.class, "state"));
            }
            List<ChildJvm.Result> results = new ArrayList<>();
            for (ChildJvm.Running r : running) {
                results.add(r.finish());
            }
            for (ChildJvm.Result r : results) {
                assertEquals(0, r.exit(), r::toString);
            }
            long probed = results.stream().filter(r -> r.value("probe").startsWith("probed")).count();
            long cached = results.stream().filter(r -> r.value("probe").startsWith("cached")).count();
            assertEquals(1, probed, () -> "exactly one JVM runs the probe: " + results);
            assertEquals(1, cached, () -> "the other reads its entry: " + results);
            assertEquals(results.get(0).value("bufts"), results.get(1).value("bufts"));
            Path dir = cache.resolve("probe");
            List<Path> entries = ProbeCache.entries(dir);
            assertEquals(1, entries.size(), entries::toString);
            try (Stream<Path> s = Files.list(dir)) {
                assertTrue(s.noneMatch(p -> p.toString().endsWith(".tmp")), "a temp file was left behind");
            }
            List<String> lines = Files.readAllLines(entries.getFirst());
            String key = lines.get(1).substring("key ".length());
            assertNotNull(ProbeCache.read(entries.getFirst(), key), "the entry is complete");
        }
    }

    /** A torn entry (cut short, as by a crash while writing without the rename) is never trusted. */
    @Test
    void tornEntryIsProbedAgain() throws Exception {
        Path cache = tmp.resolve("torn");
        ChildJvm.Result first = child(cache).runMain(ProbeChild.class, "state");
        assertEquals(0, first.exit(), first::toString);
        assertTrue(first.value("probe").startsWith("probed"), first::toString);
        Path entry = ProbeCache.entries(cache.resolve("probe")).getFirst();
        String whole = Files.readString(entry);
        Files.writeString(entry, whole.substring(0, whole.length() / 2));
        ChildJvm.Result second = child(cache).runMain(ProbeChild.class, "state");
        assertEquals(0, second.exit(), second::toString);
        assertTrue(second.value("probe").startsWith("probed"), "a torn entry was trusted: " + second);
        assertEquals(first.value("bufts"), second.value("bufts"));
        assertEquals(whole.lines().skip(3).toList(), Files.readString(entry).lines().skip(3).toList());
        ChildJvm.Result third = child(cache).runMain(ProbeChild.class, "state");
        assertTrue(third.value("probe").startsWith("cached"), third::toString);
    }
}
