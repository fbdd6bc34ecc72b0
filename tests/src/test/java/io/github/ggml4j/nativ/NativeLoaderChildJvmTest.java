package io.github.ggml4j.nativ;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * NativeLoader's search, extraction and refusal paths, each in a child JVM (libraries load once per JVM).
 * Children never see a build directory unless a test hands them one: ggml4j.root points nowhere, the working
 * directory is a temp dir, GGML4J_ROOT is unset, and natives artifacts are removed from the class path.
 */
class NativeLoaderChildJvmTest {

    private static final String NOWHERE = "/nonexistent/ggml4j-root";
    private static final Instant LONG_AGO = Instant.parse("2001-02-03T04:05:06Z");

    @TempDir
    Path tmp;

    /** The directory this JVM loaded its natives from: a complete set, whatever found it. */
    private static Path realLibs() {
        return NativeLoader.ensureLoaded().libraryDir();
    }

    private ChildJvm child() throws IOException {
        Path work = Files.createDirectories(tmp.resolve("work"));
        return new ChildJvm(work, tmp.resolve("cache")).property("ggml4j.root", NOWHERE);
    }

    @Test
    void explicitLibraryPathLoads() throws Exception {
        ChildJvm.Result r = child().property(NativeLoader.LIBRARY_PATH_PROPERTY, realLibs().toString()).run("load");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(realLibs().toString(), r.value("dir"));
        assertEquals("system property " + NativeLoader.LIBRARY_PATH_PROPERTY, r.value("source"));
        assertEquals(NativeLoader.EXPECTED_GGML_VERSION, r.value("version"));
    }

    /** A wrong explicit path fails and names itself, even when a build dir would be found otherwise. */
    @Test
    void bogusExplicitPathFailsWithoutFallingBack() throws Exception {
        Path fakeRoot = tmp.resolve("root");
        Files.createDirectories(fakeRoot.resolve("build/native"));
        Path link = Files.createSymbolicLink(fakeRoot.resolve("build/native/lib"), realLibs());
        Path bogus = Files.createDirectories(tmp.resolve("no-natives-here"));
        try {
            ChildJvm.Result r = child().property("ggml4j.root", fakeRoot.toString())
                    .property(NativeLoader.LIBRARY_PATH_PROPERTY, bogus.toString()).run("load");
            assertEquals(LoaderProbe.EXIT_LOAD_FAILED, r.exit(), r::toString);
            String error = r.value("error");
            assertTrue(error.contains(bogus.toString()), error);
            assertTrue(error.contains(NativeLoader.PROPERTIES), error);
        } finally {
            Files.delete(link); // the link, not the real libraries
        }
    }

    @Test
    void nothingReachableListsEveryPlaceTried() throws Exception {
        Path deep = Files.createDirectories(tmp.resolve("work/a/b")).toRealPath(); // the child's user.dir is real
        ChildJvm.Result r = new ChildJvm(deep, tmp.resolve("cache")).property("ggml4j.root", NOWHERE).run("load");
        assertEquals(LoaderProbe.EXIT_LOAD_FAILED, r.exit(), r::toString);
        String error = r.value("error");
        List<String> expected = new ArrayList<>();
        expected.add(Path.of(NOWHERE, "build/native/lib", NativeLoader.PROPERTIES).toString());
        for (Path p = deep; p != null; p = p.getParent()) {
            expected.add(p.resolve("build/native/lib").resolve(NativeLoader.PROPERTIES).toString());
        }
        expected.add("class path resource /" + ChildJvm.NATIVES_RESOURCE_DIR + NativeLoader.platform() + "/"
                + NativeLoader.PROPERTIES);
        for (String e : expected) {
            assertTrue(error.contains(e), () -> "'" + e + "' missing from: " + error.replace("\\n", "\n"));
        }
    }

    @Test
    void nativesJarIsExtractedOnceAndThenReused() throws Exception {
        Path jar = nativesJar(realLibs(), tmp.resolve("natives.jar"));
        Path cache = tmp.resolve("cache");
        ChildJvm.Result first = child().classpath(jar).run("load");
        assertEquals(0, first.exit(), first::toString);
        assertTrue(first.value("source").startsWith("natives jar"), first::toString);
        Path dir = Path.of(first.value("dir"));
        Path natives = cache.resolve("natives");
        assertEquals(natives, dir.getParent(), "extracted outside GGML4J_CACHE_DIR/natives");
        assertTrue(dir.getFileName().toString().startsWith(NativeLoader.EXPECTED_GGML_VERSION + "-"), dir::toString);
        for (Path lib : libFiles(realLibs())) {
            assertEquals(-1, Files.mismatch(lib, dir.resolve(lib.getFileName().toString())), lib + " extracted wrong");
        }
        // back-date everything: a re-extraction would write new files and a temp dir under natives/
        Map<Path, FileTime> stamps = new HashMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.setLastModifiedTime(f, FileTime.from(LONG_AGO));
                stamps.put(f, Files.getLastModifiedTime(f));
            }
        }
        Files.setLastModifiedTime(natives, FileTime.from(LONG_AGO));

        ChildJvm.Result second = child().classpath(jar).run("load");
        assertEquals(0, second.exit(), second::toString);
        assertEquals(dir.toString(), second.value("dir"));
        for (Map.Entry<Path, FileTime> e : stamps.entrySet()) {
            assertEquals(e.getValue(), Files.getLastModifiedTime(e.getKey()), e.getKey() + " was rewritten");
        }
        assertEquals(FileTime.from(LONG_AGO), Files.getLastModifiedTime(natives), "something was created in " + natives);
        try (Stream<Path> entries = Files.list(natives)) {
            assertEquals(List.of(dir), entries.toList());
        }
    }

    /** The natives artifact the build produces (on the test class path) is complete enough to load from. */
    @Test
    void nativesArtifactOnTestClassPathLoads() throws Exception {
        ChildJvm c = child();
        int found = 0;
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (!e.isBlank() && ChildJvm.holdsNatives(Path.of(e))) {
                c.classpath(Path.of(e));
                found++;
            }
        }
        assertEquals(1, found, "expected the ggml4j-natives artifact on the test class path once");
        ChildJvm.Result r = c.run("load");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.value("source").startsWith("natives jar"), r::toString);
    }

    /**
     * Case 57: a libggml4j of another ABI or struct layout, one with the right ABI number but missing functions,
     * or no ggml4j library at all is refused with a NativeLibraryException before anything uses it.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "abi    | int ggml4j_abi_version(void) { return 999; }                   | ABI version 999",
            "layout | int ggml4j_abi_version(void) { return " + NativeLoader.EXPECTED_ABI + "; }"
                    + " long long ggml4j_layout(int i) { return 7; }"
                    + " | sizeof(struct ggml_tensor) is 7",
            "other  | int not_ggml4j(void) { return 0; }                             | lacks ggml4j_abi_version",
            "partial| int ggml4j_abi_version(void) { return " + NativeLoader.EXPECTED_ABI + "; } | lack a symbol",
    })
    void wrongLibggml4jIsRefused(String name, String source, String expected) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("fake-" + name));
        Map<String, String> props = NativeLoader.ensureLoaded().properties();
        String order = props.get("load.order");
        for (String lib : order.split(",")) {
            if (!lib.equals("libggml4j.so")) {
                Files.copy(realLibs().resolve(lib), dir.resolve(lib));
            }
        }
        Files.writeString(dir.resolve(NativeLoader.PROPERTIES), "ggml.version=" + props.get("ggml.version")
                + "\nload.order=" + order + "\nbackends.dynamic=\n");
        compile(source, dir.resolve("libggml4j.so"));

        ChildJvm.Result r = child().property(NativeLoader.LIBRARY_PATH_PROPERTY, dir.toString()).run("load");
        assertEquals(LoaderProbe.EXIT_LOAD_FAILED, r.exit(), r::toString);
        assertTrue(r.value("error").contains(expected), r::toString);
    }

    /** Case 55: a GGML_ASSERT ends the process, and ggml4j's abort handler says why on stderr first. */
    @Test
    void ggmlAssertIsReportedByAbortHandler() throws Exception {
        ChildJvm.Result r = child().property(NativeLoader.LIBRARY_PATH_PROPERTY, realLibs().toString()).run("abort");
        assertEquals(NativeLoader.EXPECTED_GGML_VERSION, r.value("version"), r::toString);
        assertNull(r.value("survived"), r::toString);
        assertNotEquals(0, r.exit(), r::toString);
        assertTrue(r.stderr().contains("ggml4j: native abort:"), r::toString);
        assertTrue(r.stderr().contains("GGML_ASSERT"), r::toString);
    }

    private static void compile(String source, Path out) throws IOException, InterruptedException {
        Path c = out.resolveSibling("fake.c");
        Files.writeString(c, source + "\n");
        Process p;
        try {
            p = new ProcessBuilder("cc", "-shared", "-fPIC", "-o", out.toString(), c.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("this test needs a C compiler as 'cc' on the PATH (e.g. gcc): "
                    + e.getMessage(), e);
        }
        String log = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            fail("cc failed:\n" + log);
        }
    }

    private static List<Path> libFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** A natives jar as the natives module lays it out: the library directory under the platform's resource path. */
    private static Path nativesJar(Path libs, Path jar) throws IOException {
        String base = ChildJvm.NATIVES_RESOURCE_DIR + NativeLoader.platform() + "/";
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os)) {
            StringBuilder dir = new StringBuilder();
            for (String part : base.split("/")) {
                dir.append(part).append('/');
                out.putNextEntry(new JarEntry(dir.toString()));
                out.closeEntry();
            }
            for (Path f : libFiles(libs)) {
                out.putNextEntry(new JarEntry(base + f.getFileName()));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
        assertFalse(libFiles(libs).isEmpty());
        return jar;
    }
}
