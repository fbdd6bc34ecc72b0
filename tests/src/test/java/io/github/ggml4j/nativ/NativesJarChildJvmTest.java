package io.github.ggml4j.nativ;

import io.github.ggml4j.testing.SyntheticLlama;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The natives jar as users get it (issue 16): several JVMs extracting one jar at once, a stale jar named in the
 * error, and the CUDA flavour falling back to the CPU with one logged line when its backend cannot run. Each case
 * in child JVMs, since libraries load once per JVM.
 */
class NativesJarChildJvmTest {

    private static final String NOWHERE = "/nonexistent/ggml4j-root";
    private static final String FALLBACK = "running on the CPU";

    @TempDir
    Path tmp;

    private static Path realLibs() {
        return NativeLoader.ensureLoaded().libraryDir();
    }

    private ChildJvm child(Path cache) throws IOException {
        Path work = Files.createDirectories(tmp.resolve("work"));
        return new ChildJvm(work, cache).property("ggml4j.root", NOWHERE);
    }

    /** Three JVMs start on one empty cache at once: all load, from one directory, and nothing else is left there. */
    @Test
    void concurrentJvmsExtractOnceAndAgree() throws Exception {
        Path jar = jar(realLibs(), NativeLoader.platform(), Map.of(), tmp.resolve("natives.jar"));
        Path cache = tmp.resolve("cache");
        List<ChildJvm.Running> running = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            running.add(child(cache).classpath(jar).start(LoaderProbe.class, "load"));
        }
        List<String> dirs = new ArrayList<>();
        for (ChildJvm.Running r : running) {
            ChildJvm.Result res = r.finish();
            assertEquals(0, res.exit(), res::toString);
            assertTrue(res.value("source").contains(jar.toString()), res::toString);
            dirs.add(res.value("dir"));
        }
        assertEquals(1, dirs.stream().distinct().count(), dirs::toString);
        try (Stream<Path> entries = Files.list(cache.resolve("natives"))) {
            assertEquals(List.of(Path.of(dirs.getFirst())), entries.toList(), "temporary directories left behind");
        }
        for (Path lib : files(realLibs())) {
            assertEquals(-1, Files.mismatch(lib, Path.of(dirs.getFirst()).resolve(lib.getFileName().toString())), lib::toString);
        }
    }

    /** The natives artifact the build made (on the test class path) holds exactly the staged files of the build. */
    @Test
    void builtNativesJarHoldsExactlyTheStagedLibraries() throws Exception {
        Path jar = null;
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (!e.isBlank() && ChildJvm.holdsNatives(Path.of(e))) {
                jar = Path.of(e);
            }
        }
        assertNotNull(jar, "no natives artifact on the test class path");
        String base = NativesJar.RESOURCE_ROOT + NativeLoader.platform()
                + (NativeLoader.ensureLoaded().properties().getOrDefault("backend.cuda", "none").equals("none") ? "" : "-cuda") + "/";
        java.util.Map<String, byte[]> entries = new java.util.TreeMap<>();
        if (Files.isDirectory(jar)) {
            try (Stream<Path> s = Files.list(jar.resolve(base))) {
                for (Path f : s.toList()) {
                    entries.put(f.getFileName().toString(), Files.readAllBytes(f));
                }
            }
        } else {
            try (java.util.jar.JarFile jf = new java.util.jar.JarFile(jar.toFile())) {
                for (JarEntry e : java.util.Collections.list(jf.entries())) {
                    if (e.getName().startsWith(base) && !e.isDirectory()) {
                        entries.put(e.getName().substring(base.length()), jf.getInputStream(e).readAllBytes());
                    }
                }
            }
        }
        List<String> staged = files(realLibs()).stream().map(p -> p.getFileName().toString())
                .filter(n -> n.contains(".so") || n.equals(NativeLoader.PROPERTIES) || n.equals("ggml4j-probe")).sorted().toList();
        assertEquals(staged, List.copyOf(entries.keySet()), jar + " does not hold what " + realLibs() + " holds");
        for (String n : staged) {
            assertTrue(java.util.Arrays.equals(Files.readAllBytes(realLibs().resolve(n)), entries.get(n)), n + " differs in " + jar);
        }
    }

    /** Case 57 for jars: natives built for another ABI are refused, and the message names the jar as stale. */
    @Test
    void staleJarIsNamed() throws Exception {
        Path fake = tmp.resolve("libggml4j.so");
        compile("int ggml4j_abi_version(void) { return 999; }", fake, List.of());
        Path jar = jar(realLibs(), NativeLoader.platform(), Map.of("libggml4j.so", fake),
                tmp.resolve("ggml4j-natives-0.0.1-natives-" + NativeLoader.platform() + ".jar"));
        ChildJvm.Result r = child(tmp.resolve("cache")).classpath(jar).run("load");
        assertEquals(LoaderProbe.EXIT_LOAD_FAILED, r.exit(), r::toString);
        String error = r.value("error");
        assertTrue(error.contains("ABI version 999"), error);
        assertTrue(error.contains("the natives jar " + jar), error);
        assertTrue(error.contains("stale"), error);
    }

    /** The CUDA flavour whose backend needs a library this machine lacks (no driver): one line, then the CPU. */
    @Test
    void cudaJarWithoutDriverFallsBackToCpu() throws Exception {
        Path dep = tmp.resolve("dep/libggml4j-fake-driver.so");
        Files.createDirectories(dep.getParent());
        compile("int fake_driver(void) { return 1; }", dep, List.of());
        Path cuda = tmp.resolve("libggml-cuda.so");
        compile("int fake_driver(void); int ggml_backend_init(void) { return fake_driver(); }", cuda,
                List.of("-L" + dep.getParent(), "-lggml4j-fake-driver"));
        Files.delete(dep); // as on a machine without the NVIDIA driver
        assertFallback(cuda, "cannot be loaded");
    }

    /** The CUDA flavour on a machine with a driver but no GPU: the backend registers with no device. */
    @Test
    void cudaJarWithoutDeviceFallsBackToCpu() throws Exception {
        Path cuda = tmp.resolve("libggml-cuda.so");
        compile("""
                #include <stddef.h>
                struct reg_i { const char *(*name)(void *); size_t (*count)(void *); void *(*get)(void *, size_t);
                               void *(*proc)(void *, const char *); };
                struct reg { int api_version; struct reg_i iface; void *context; };
                static const char *name(void *r) { (void) r; return "CUDA"; }
                static size_t count(void *r) { (void) r; return 0; }
                static void *get(void *r, size_t i) { (void) r; (void) i; return NULL; }
                static void *proc(void *r, const char *n) { (void) r; (void) n; return NULL; }
                static struct reg the_reg = { 2, { name, count, get, proc }, NULL };
                void *ggml_backend_init(void) { return &the_reg; }
                """, cuda, List.of());
        assertFallback(cuda, "found no device");
    }

    private void assertFallback(Path cudaLib, String why) throws Exception {
        Map<String, String> props = NativeLoader.ensureLoaded().properties();
        String dynamic = props.getOrDefault("backends.dynamic", "");
        String propsText = "ggml.version=" + props.get("ggml.version") + "\nload.order=" + props.get("load.order")
                + "\nbackends.dynamic=" + (dynamic.isBlank() ? "" : dynamic + ",") + "libggml-cuda.so"
                + "\nprobe.exe=" + props.getOrDefault("probe.exe", "") + "\ncpu.mode=" + props.getOrDefault("cpu.mode", "")
                + "\nbackend.cuda=dynamic\n";
        Path props2 = tmp.resolve("props");
        Files.writeString(props2, propsText);
        Path jar = jar(realLibs(), NativeLoader.platform() + NativesJar.CUDA_SUFFIX,
                Map.of("libggml-cuda.so", cudaLib, NativeLoader.PROPERTIES, props2), tmp.resolve("cuda.jar"));
        // the plain CPU jar beside it, as when both are on the path: the CUDA flavour wins
        Path cpuJar = jar(realLibs(), NativeLoader.platform(), Map.of(), tmp.resolve("cpu.jar"));
        ChildJvm.Result r = child(tmp.resolve("cache")).classpath(cpuJar).classpath(jar)
                .runMain(GreedyChild.class, model().toString());
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.value("source").contains(jar.toString()), r::toString);
        List<String> lines = r.stderr().lines().filter(l -> l.contains(FALLBACK)).toList();
        assertEquals(1, lines.size(), r::toString);
        assertTrue(lines.getFirst().contains("CUDA") && lines.getFirst().contains(why), r::toString);
        assertFalse(r.stderr().contains("failed to load"), "ggml's own error line leaked:\n" + r);
        assertEquals("0", r.value("gpus"), r::toString);
        assertTrue(Integer.parseInt(r.value("tokens")) > 0, r::toString);
    }

    /** A tiny model written once per run (absolute: the child runs elsewhere). */
    static Path model() {
        return SyntheticLlama.llama(64, 2, 4, 2, 192).withSeed(16).cached().toAbsolutePath();
    }

    private static void compile(String source, Path out, List<String> extra) throws IOException, InterruptedException {
        Path c = out.resolveSibling(out.getFileName() + ".c");
        Files.writeString(c, source + "\n");
        List<String> cmd = new ArrayList<>(List.of("cc", "-shared", "-fPIC", "-o", out.toString(), c.toString()));
        cmd.addAll(extra);
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("this test needs a C compiler as 'cc' on the PATH (e.g. gcc): " + e.getMessage(), e);
        }
        String log = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            fail("cc failed:\n" + log);
        }
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** A natives jar laid out as the natives module does, under {@code flavour}, with some files replaced or added. */
    static Path jar(Path libs, String flavour, Map<String, Path> replace, Path jar) throws IOException {
        String base = NativesJar.RESOURCE_ROOT + flavour + "/";
        List<String> names = new ArrayList<>();
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os)) {
            StringBuilder dir = new StringBuilder();
            for (String part : base.split("/")) {
                dir.append(part).append('/');
                out.putNextEntry(new JarEntry(dir.toString()));
                out.closeEntry();
            }
            for (Path f : files(libs)) {
                String name = f.getFileName().toString();
                names.add(name);
                out.putNextEntry(new JarEntry(base + name));
                Files.copy(replace.getOrDefault(name, f), out);
                out.closeEntry();
            }
            for (Map.Entry<String, Path> e : replace.entrySet()) {
                if (!names.contains(e.getKey())) {
                    out.putNextEntry(new JarEntry(base + e.getKey()));
                    Files.copy(e.getValue(), out);
                    out.closeEntry();
                }
            }
        }
        return jar;
    }
}
