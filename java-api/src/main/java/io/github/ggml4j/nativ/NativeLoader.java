package io.github.ggml4j.nativ;

import io.github.ggml4j.NativeLibraryException;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.internal.ggml.ggml_init_params;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * Finds and loads the native libraries exactly once per JVM, then checks that they are the ones the
 * bindings were generated for.
 *
 * <p>Where it looks, in order:
 * <ol>
 *   <li>the directory named by the system property {@value #LIBRARY_PATH_PROPERTY};</li>
 *   <li>the CMake build output {@code build/native/lib} of a ggml4j checkout: under the system property
 *       {@code ggml4j.root}, the environment variable {@code GGML4J_ROOT}, or any parent of the working
 *       directory;</li>
 *   <li>a natives jar on the class path or module path ({@code io.github.ggml4j:ggml4j-natives} with classifier
 *       {@code natives-linux-x86_64}, or {@code natives-linux-x86_64-cuda}, which is preferred when both are
 *       present), extracted once per content to {@code ~/.cache/ggml4j/natives} (or {@code $GGML4J_CACHE_DIR});
 *       see {@link NativesJar}.</li>
 * </ol>
 * A directory qualifies when it holds {@value #PROPERTIES}, which CMake writes next to the libraries with
 * their load order. Failure lists every place tried.
 */
public final class NativeLoader {

    public static final String LIBRARY_PATH_PROPERTY = "ggml4j.library.path";
    static final String PROPERTIES = "ggml4j-natives.properties";
    /** Bumped with GGML4J_ABI_VERSION in native/include/ggml4j.h. */
    static final int EXPECTED_ABI = 3;
    static final String EXPECTED_GGML_VERSION = "0.25.1";

    private static final System.Logger LOG = System.getLogger("io.github.ggml4j.native");
    private static volatile NativeRuntime runtime;
    /** Set before {@link #runtime} is published, by the thread that loads. */
    private static NativeLayout layout;
    private static final java.util.concurrent.atomic.AtomicBoolean LINKING_AHEAD = new java.util.concurrent.atomic.AtomicBoolean();

    private NativeLoader() {
    }

    /**
     * Called by a model load once the natives are loaded: links the decode path's downcalls on a daemon thread
     * ({@link DowncallWarmup}), the first time only. Tools that load the natives but build no graph never pay it.
     */
    public static void linkAhead() {
        ensureLoaded();
        if (LINKING_AHEAD.compareAndSet(false, true)) {
            DowncallWarmup.start();
        }
    }

    /** Loads the libraries if needed and returns what was loaded. Thread-safe; loads once. */
    public static NativeRuntime ensureLoaded() {
        NativeRuntime r = runtime;
        if (r == null) {
            synchronized (NativeLoader.class) {
                r = runtime;
                if (r == null) {
                    r = load();
                    runtime = r;
                }
            }
        }
        return r;
    }

    private static NativeRuntime load() {
        List<String> tried = new ArrayList<>();
        Candidate found = locate(tried);
        if (found == null) {
            throw new NativeLibraryException("ggml4j native libraries not found; tried:\n  - "
                    + String.join("\n  - ", tried)
                    + "\nBuild them with ./build.sh, set -D" + LIBRARY_PATH_PROPERTY
                    + "=<dir>, or add io.github.ggml4j:ggml4j-natives:<version>:natives-" + platform()
                    + " to the class path (or module path with --add-modules io.github.ggml4j.natives).");
        }
        Properties props = found.properties();
        String order = props.getProperty("load.order", "");
        if (order.isBlank()) {
            throw new NativeLibraryException(found.dir().resolve(PROPERTIES) + " has no load.order");
        }
        for (String lib : order.split(",")) {
            Path file = found.dir().resolve(lib.trim());
            if (!Files.isRegularFile(file)) {
                throw new NativeLibraryException("missing native library " + file + " (listed in " + PROPERTIES + ")");
            }
            try {
                System.load(file.toAbsolutePath().toString());
            } catch (UnsatisfiedLinkError e) {
                throw new NativeLibraryException("cannot load " + file + ": " + e.getMessage(), e);
            }
        }
        layout = checkVersionAndLayout(found);
        GgmlLib.ggml4j_install_abort_handler();
        GgmlLib.ggml4j_log_set_level(logLevel());
        String dynamic = props.getProperty("backends.dynamic", "");
        if (dynamic.isBlank()) {
            GgmlLib.ggml4j_load_backends(MemorySegment.NULL); // a no-op: the backends are linked in
        } else {
            loadDynamicBackends(found.dir(), props, dynamic);
        }
        NativeRuntime rt = new NativeRuntime(found.dir(), found.source(), props);
        LOG.log(System.Logger.Level.INFO, () -> "ggml4j: loaded ggml " + rt.ggmlVersion() + " (" + rt.cpuMode()
                + ") from " + rt.libraryDir() + " [" + rt.source() + "]; CPU variant " + rt.cpuVariant());
        return rt;
    }

    /**
     * Portable builds: the CPU variant is the best-scoring one that passes the kernel probe (see {@link CpuPaths}),
     * loaded by path with the other dynamic backends; with the probe off and no variant forced, ggml picks the CPU
     * variant. A GPU backend that cannot start here (no driver, no device) leaves the CPU running, with one line
     * logged.
     */
    private static void loadDynamicBackends(Path dir, Properties props, String dynamic) {
        List<String> cpu = new ArrayList<>();
        List<String> others = new ArrayList<>();
        for (String f : dynamic.split(",")) {
            if (!f.isBlank()) {
                (f.strip().startsWith("libggml-cpu-") ? cpu : others).add(f.strip());
            }
        }
        java.util.Optional<Path> chosen = cpu.isEmpty() ? java.util.Optional.empty()
                : CpuPaths.choosePortable(dir, props, cpu);
        try (Arena arena = Arena.ofConfined()) {
            if (chosen.isEmpty() && !cpu.isEmpty()) {
                GgmlLib.ggml4j_load_backends(arena.allocateFrom(dir.toAbsolutePath().toString()));
            } else {
                if (chosen.isPresent()) {
                    MemorySegment reg = GgmlLib.ggml_backend_load(arena.allocateFrom(chosen.get().toAbsolutePath().toString()));
                    if (reg.equals(MemorySegment.NULL)) {
                        throw new NativeLibraryException("the CPU variant " + chosen.get() + " cannot be loaded on this CPU");
                    }
                }
                for (String o : others) {
                    loadOther(arena, dir.resolve(o));
                }
            }
            for (String o : others) {
                if (o.startsWith("libggml-cuda")) {
                    reportGpu("CUDA", dir.resolve(o));
                }
            }
        }
    }

    /** Loads a non-CPU backend whose failure is not fatal; ggml's own error lines are held back (one line is ours). */
    private static void loadOther(Arena arena, Path file) {
        int level = GgmlLib.ggml4j_log_get_level();
        GgmlLib.ggml4j_log_set_level(5);
        try {
            GgmlLib.ggml_backend_load(arena.allocateFrom(file.toAbsolutePath().toString()));
        } finally {
            GgmlLib.ggml4j_log_set_level(level);
        }
    }

    /** The one line saying that a GPU backend of these natives does not run here, so the CPU does the work. */
    private static void reportGpu(String name, Path file) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment reg = GgmlLib.ggml_backend_reg_by_name(arena.allocateFrom(name));
            String why = reg.equals(MemorySegment.NULL)
                    ? "cannot be loaded (no NVIDIA driver or CUDA runtime libraries on this machine?)"
                    : GgmlLib.ggml_backend_reg_dev_count(reg) == 0 ? "found no device" : null;
            if (why != null) {
                LOG.log(System.Logger.Level.WARNING, "ggml4j: the " + name + " backend " + file.getFileName() + " " + why
                        + "; running on the CPU");
            }
        }
    }

    private static int logLevel() {
        String level = System.getProperty("ggml4j.log.level", "warn").toLowerCase(Locale.ROOT);
        return switch (level) {
            case "debug" -> 1;
            case "info" -> 2;
            case "warn" -> 3;
            case "error" -> 4;
            case "off", "none" -> 5;
            default -> 3;
        };
    }

    /** {@code jar} is the natives jar the directory was extracted from, or null. */
    private record Candidate(Path dir, String source, Properties properties, String jar) {
        Candidate(Path dir, String source, Properties properties) {
            this(dir, source, properties, null);
        }

        /** What to blame for a mismatch: the jar, which the user put on the path, rather than its extraction. */
        String what() {
            return jar == null ? "the native libraries in " + dir : "the natives jar " + jar + " (extracted to " + dir + ")";
        }

        String fix() {
            return jar == null ? "rebuild the natives (./build.sh) or point -D" + LIBRARY_PATH_PROPERTY + " elsewhere"
                    : "the jar is stale: use the ggml4j-natives jar of the same ggml4j version as the ggml4j jar";
        }
    }

    private static Candidate locate(List<String> tried) {
        String explicit = System.getProperty(LIBRARY_PATH_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            Candidate c = candidate(Path.of(explicit), "system property " + LIBRARY_PATH_PROPERTY, tried);
            if (c == null) {
                // an explicit choice that fails must not silently fall back to something else
                throw new NativeLibraryException("-D" + LIBRARY_PATH_PROPERTY + "=" + explicit + " does not hold "
                        + PROPERTIES + " and the ggml4j libraries");
            }
            return c;
        }
        for (Path root : buildRoots()) {
            Candidate c = candidate(root.resolve("build/native/lib"), "CMake build output", tried);
            if (c != null) {
                return c;
            }
        }
        return fromClasspath(tried);
    }

    private static List<Path> buildRoots() {
        List<Path> roots = new ArrayList<>();
        String prop = System.getProperty("ggml4j.root");
        if (prop != null && !prop.isBlank()) {
            roots.add(Path.of(prop));
        }
        String env = System.getenv("GGML4J_ROOT");
        if (env != null && !env.isBlank()) {
            roots.add(Path.of(env));
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            roots.add(p);
        }
        return roots;
    }

    private static Candidate candidate(Path dir, String source, List<String> tried) {
        Path propsFile = dir.resolve(PROPERTIES);
        tried.add(propsFile + " (" + source + ")");
        if (!Files.isRegularFile(propsFile)) {
            return null;
        }
        return new Candidate(dir.toAbsolutePath(), source, readProperties(propsFile));
    }

    private static Properties readProperties(Path file) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException e) {
            throw new NativeLibraryException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return p;
    }

    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String o = os.contains("linux") ? "linux" : os.contains("mac") ? "macos" : os.contains("win") ? "windows" : os;
        String a = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
        return o + "-" + a;
    }

    private static Candidate fromClasspath(List<String> tried) {
        NativesJar.Found f = NativesJar.find(tried);
        if (f == null) {
            return null;
        }
        return new Candidate(f.dir(), "natives jar " + f.origin() + " (extracted to " + f.dir() + ")", f.properties(),
                f.origin());
    }

    static Path cacheDir() {
        String env = System.getenv("GGML4J_CACHE_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "ggml4j");
    }

    /** Where the loaded library keeps the struct fields Java accesses (loads the natives if needed). */
    static NativeLayout layout() {
        ensureLoaded();
        return layout;
    }

    /**
     * Case 57: a library of another ABI or ggml version, or whose struct layout or constants disagree with the
     * bindings, is refused before anything uses it; returns the layout Java then uses.
     */
    private static NativeLayout checkVersionAndLayout(Candidate found) {
        int abi;
        try {
            abi = GgmlLib.ggml4j_abi_version();
        } catch (UnsatisfiedLinkError | ExceptionInInitializerError e) {
            throw new NativeLibraryException("libggml4j of " + found.what() + " lacks ggml4j_abi_version: not a ggml4j build; "
                    + found.fix(), e);
        }
        if (abi != EXPECTED_ABI) {
            throw new NativeLibraryException("libggml4j of " + found.what() + " has ABI version " + abi
                    + ", this ggml4j expects " + EXPECTED_ABI + ": " + found.fix());
        }
        try {
            String version = GgmlLib.ggml_version().getString(0);
            if (!EXPECTED_GGML_VERSION.equals(version)) {
                throw new NativeLibraryException("ggml of " + found.what() + " is version " + version
                        + ", the bindings were generated for " + EXPECTED_GGML_VERSION + ": " + found.fix());
            }
            NativeLayout layout = NativeLayout.read(found.what(), found.fix());
            checkLayout(found, "sizeof(struct ggml_init_params)", GgmlLib.GGML4J_SIZEOF_GGML_INIT_PARAMS(),
                    ggml_init_params.sizeof());
            checkLayout(found, "GGML_MAX_DIMS", GgmlLib.GGML4J_GGML_MAX_DIMS(), GgmlLib.GGML_MAX_DIMS());
            checkLayout(found, "GGML_MAX_NAME", GgmlLib.GGML4J_GGML_MAX_NAME(), GgmlLib.GGML_MAX_NAME());
            checkLayout(found, "GGML_TYPE_COUNT", GgmlLib.GGML4J_GGML_TYPE_COUNT(), GgmlLib.GGML_TYPE_COUNT());
            checkLayout(found, "GGML_OP_COUNT", GgmlLib.GGML4J_GGML_OP_COUNT(), GgmlLib.GGML_OP_COUNT());
            return layout;
        } catch (UnsatisfiedLinkError | ExceptionInInitializerError e) {
            // the right ABI number but a missing symbol: a broken or hand-made build, not a raw linkage error
            throw new NativeLibraryException(found.what() + " report ABI version " + abi
                    + " but lack a symbol the bindings need (" + e.getMessage() + "): " + found.fix(), e);
        }
    }

    private static void checkLayout(Candidate found, String what, int item, long expected) {
        long actual = GgmlLib.ggml4j_layout(item);
        if (actual != expected) {
            throw new NativeLibraryException("native " + what + " is " + actual + " but the bindings expect " + expected
                    + ": " + found.what() + " do not match these bindings; " + found.fix());
        }
    }
}
