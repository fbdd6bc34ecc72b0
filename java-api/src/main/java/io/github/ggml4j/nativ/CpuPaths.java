package io.github.ggml4j.nativ;

import io.github.ggml4j.NativeLibraryException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Which CPU kernel paths this process may use: the kernel probe's verdicts (cached per natives build and CPU)
 * and the user's overrides. Extra buffer types (AMX, CPU_REPACK, ...) that fail the probe never receive weights;
 * in portable builds the CPU variant is the best-scoring one whose plain path passes.
 *
 * <p>Overrides, each a system property or else an environment variable:
 * <ul>
 *   <li>{@code ggml4j.cpu.disable} / {@code GGML4J_CPU_DISABLE}: comma-separated extra buffer types never to use
 *       (e.g. {@code AMX,CPU_REPACK}), whatever the probe says;</li>
 *   <li>{@code ggml4j.probe} / {@code GGML4J_PROBE} = {@code off}: trust the CPU flags, run no probe;</li>
 *   <li>{@code ggml4j.cpu.variant} / {@code GGML4J_CPU_VARIANT}: the portable build's variant to load (e.g.
 *       {@code haswell}), whatever the probe says;</li>
 *   <li>{@code ggml4j.probe.timeout} / {@code GGML4J_PROBE_TIMEOUT}: seconds one probe run may take (60).</li>
 * </ul>
 *
 * {@snippet :
 * CpuPaths.Settings s = CpuPaths.Settings.current();
 * boolean amxOff = s.disabled().contains("AMX");
 * }
 */
public final class CpuPaths {

    private static final System.Logger LOG = System.getLogger("io.github.ggml4j.native");
    static final String INJECT_ENV = "GGML4J_PROBE_INJECT";
    private static final String NATIVE = "native";

    private static volatile State state;

    private CpuPaths() {
    }

    /**
     * The overrides in force.
     *
     * @param probe          whether to run the kernel probe (false: trust the CPU flags)
     * @param disabled       extra buffer type names never to use, upper case
     * @param variant        the portable variant to force, if any
     * @param timeoutSeconds the time limit of one probe run
     */
    public record Settings(boolean probe, Set<String> disabled, Optional<String> variant, long timeoutSeconds) {
        public Settings {
            disabled = Set.copyOf(disabled);
            if (timeoutSeconds < 1) {
                throw new IllegalArgumentException("probe timeout must be >= 1 s, got " + timeoutSeconds);
            }
        }

        public static Settings current() {
            return parse(setting("ggml4j.probe", "GGML4J_PROBE"), setting("ggml4j.cpu.disable", "GGML4J_CPU_DISABLE"),
                    setting("ggml4j.cpu.variant", "GGML4J_CPU_VARIANT"),
                    setting("ggml4j.probe.timeout", "GGML4J_PROBE_TIMEOUT"));
        }

        /** Reads the raw values; null means unset. Bad values throw IllegalArgumentException naming them. */
        static Settings parse(String probe, String disable, String variant, String timeout) {
            boolean on = switch (probe == null ? "on" : probe.strip().toLowerCase(Locale.ROOT)) {
                case "on", "true", "1", "" -> true;
                case "off", "false", "0" -> false;
                default -> throw new IllegalArgumentException("ggml4j.probe must be on or off, not '" + probe + "'");
            };
            Set<String> names = disable == null ? Set.of() : Arrays.stream(disable.split(","))
                    .map(n -> n.strip().toUpperCase(Locale.ROOT)).filter(n -> !n.isEmpty())
                    .collect(Collectors.toCollection(LinkedHashSet::new));
            long t = 60;
            if (timeout != null && !timeout.isBlank()) {
                try {
                    t = Long.parseLong(timeout.strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("ggml4j.probe.timeout must be a number of seconds, not '" + timeout + "'");
                }
            }
            Optional<String> v = variant == null || variant.isBlank() ? Optional.empty() : Optional.of(variant.strip());
            return new Settings(on, names, v, t);
        }

        /** Whether the user switched this extra buffer type off. */
        public boolean disables(String buftName) {
            return disabled.contains(buftName.toUpperCase(Locale.ROOT));
        }
    }

    private static String setting(String property, String env) {
        String v = System.getProperty(property);
        return v != null ? v : System.getenv(env);
    }

    /**
     * What this process decided.
     *
     * @param variants verdicts, one per CPU backend probed (one, {@code native}, unless portable)
     * @param chosen   the variant in use
     * @param how      where the verdicts came from: {@code probed}, {@code cached in FILE}, {@code probe off} ...
     */
    public record State(List<ProbeVerdict> variants, String chosen, String how) {
        public State {
            variants = List.copyOf(variants);
        }

        /** The verdict of the variant in use (a trusting one when the probe never ran for it). */
        public ProbeVerdict current(List<String> buftNames) {
            return variants.stream().filter(v -> v.variant().equals(chosen)).findFirst()
                    .orElseGet(() -> ProbeVerdict.trusted(chosen, buftNames));
        }
    }

    /** The state when already decided (portable builds decide while loading). */
    public static Optional<State> state() {
        return Optional.ofNullable(state);
    }

    /**
     * The state for the CPU backend linked into libggml, probing it (or reading the cache) on first use; also
     * the state of a portable build whose variant ggml picked unchecked (probe off).
     * {@code buftNames} are the CPU device's extra buffer types.
     */
    public static synchronized State nativeState(NativeRuntime rt, List<String> buftNames) {
        if (state != null) {
            return state;
        }
        Settings s = Settings.current();
        State st;
        if (!s.probe()) {
            // portable builds get here when ggml picked the variant itself
            String name = "portable".equals(rt.cpuMode()) ? rt.cpuVariant() : NATIVE;
            st = new State(List.of(ProbeVerdict.trusted(name, buftNames)), name, "probe off");
        } else if (buftNames.isEmpty()) {
            st = new State(List.of(new ProbeVerdict(NATIVE, -1, true, "no extra buffer types to probe", List.of())),
                    NATIVE, "nothing to probe");
        } else {
            Optional<Path> exe = probeExe(rt.libraryDir(), rt.properties().get("probe.exe"));
            if (exe.isEmpty()) {
                List<ProbeVerdict.Buft> off = buftNames.stream().map(n -> new ProbeVerdict.Buft(n, false,
                        "the natives have no probe executable to check it with", Set.of())).toList();
                st = new State(List.of(new ProbeVerdict(NATIVE, -1, true, "no probe executable", off)), NATIVE,
                        "no probe executable in " + rt.libraryDir());
            } else {
                String key = ProbeCache.key(NATIVE, buildId(rt.libraryDir()), cpuIdentity(), injected());
                st = cached(key, () -> List.of(KernelProbe.probe(exe.get(), null, NATIVE, s.timeoutSeconds())), NATIVE);
            }
        }
        report(st, buftNames);
        state = st;
        return st;
    }

    /**
     * Portable builds: decides the CPU variant among the variant libraries in {@code dir} and returns it with the
     * state, or empty when ggml's own choice applies (probe off and no variant forced).
     */
    static Optional<Path> choosePortable(Path dir, Properties props, List<String> variantFiles) {
        Settings s = Settings.current();
        List<Variant> variants = variantFiles.stream().map(f -> new Variant(variantName(f), dir.resolve(f))).toList();
        Optional<Variant> forced = s.variant().map(name -> variants.stream().filter(x -> x.name().equals(name))
                .findFirst().orElseThrow(() -> new NativeLibraryException("ggml4j.cpu.variant=" + name
                        + " is not among this build's CPU variants " + variants.stream().map(Variant::name).toList())));
        if (!s.probe()) {
            forced.ifPresent(v -> state = new State(List.of(), v.name(), "probe off; variant forced"));
            return forced.map(Variant::file); // else ggml picks by score, unchecked
        }
        Optional<Path> exe = probeExe(dir, props.getProperty("probe.exe"));
        if (exe.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "ggml4j: the natives in " + dir
                    + " have no probe executable; the CPU variant is not checked");
            forced.ifPresent(v -> state = new State(List.of(), v.name(), "no probe executable; variant forced"));
            return forced.map(Variant::file);
        }
        // a forced variant is loaded whatever its verdict, but its extra buffer types are still probed
        String mustProbe = forced.map(Variant::name).orElse("");
        String key = ProbeCache.key("portable", buildId(dir), cpuIdentity(), injected(), mustProbe);
        State st = cached(key, () -> PortableProbe.probeAll(exe.get(), variants, s.timeoutSeconds(), mustProbe), null);
        if (forced.isPresent()) {
            state = new State(st.variants(), forced.get().name(), st.how() + "; variant forced");
            report(state, List.of());
            return Optional.of(forced.get().file());
        }
        Optional<ProbeVerdict> best = st.variants().stream().filter(ProbeVerdict::usable)
                .max((a, b) -> Integer.compare(a.score(), b.score()));
        if (best.isEmpty()) {
            throw new NativeLibraryException("no CPU variant of the natives in " + dir
                    + " passed the kernel probe on this CPU: " + st.variants().stream()
                    .map(v -> v.variant() + ": " + v.reason()).collect(Collectors.joining("; "))
                    + " (set ggml4j.cpu.variant to force one, or ggml4j.probe=off)");
        }
        State chosen = new State(st.variants(), best.get().variant(), st.how());
        System.Logger.Level level = st.how().startsWith("cached") ? System.Logger.Level.INFO : System.Logger.Level.WARNING;
        for (ProbeVerdict v : st.variants()) {
            if (!v.usable() && v.score() > 0 && !v.reason().startsWith("not probed")) {
                LOG.log(level, "ggml4j: CPU variant " + v.variant() + " disabled: " + v.reason()
                        + " (kernel probe); using " + chosen.chosen());
            }
        }
        state = chosen;
        report(chosen, List.of());
        Variant v = variants.stream().filter(x -> x.name().equals(chosen.chosen())).findFirst().orElseThrow();
        return Optional.of(v.file());
    }

    /** A portable build's CPU variant library. */
    record Variant(String name, Path file) {
    }

    static String variantName(String file) {
        String n = file.startsWith("libggml-cpu-") ? file.substring("libggml-cpu-".length()) : file;
        int dot = n.indexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    private static State cached(String key, Supplier<List<ProbeVerdict>> compute, String chosen) {
        ProbeCache cache = new ProbeCache(ProbeCache.defaultDir());
        try {
            ProbeCache.Entry e = cache.getOrCompute(key, compute);
            return new State(e.verdicts(), chosen == null ? "" : chosen,
                    e.fromCache() ? "cached in " + e.file() : "probed, cached in " + e.file());
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "ggml4j: probe cache unusable (" + e + "); probing uncached");
            return new State(compute.get(), chosen == null ? "" : chosen, "probed (not cached: " + e.getMessage() + ")");
        }
    }

    /**
     * One line per disabled extra buffer type of the variant in use: at WARNING when the probe just ran (once per
     * machine and natives build), at INFO when the verdict came from the cache ({@code ggml4j info} shows it too).
     */
    private static void report(State st, List<String> buftNames) {
        System.Logger.Level level = st.how().startsWith("cached") ? System.Logger.Level.INFO : System.Logger.Level.WARNING;
        for (ProbeVerdict.Buft b : st.current(buftNames).bufts()) {
            if (!b.usable()) {
                LOG.log(level, "ggml4j: CPU buffer type " + b.name() + " disabled: " + b.reason()
                        + " (kernel probe, " + st.how() + "); its weights use the plain CPU path."
                        + " -Dggml4j.probe=off trusts the CPU flags instead");
            }
        }
    }

    static Optional<Path> probeExe(Path dir, String name) {
        if (name == null || name.isBlank()) {
            return Optional.empty();
        }
        Path p = dir.resolve(name);
        return Files.isRegularFile(p) && Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }

    private static String injected() {
        String v = System.getenv(INJECT_ENV);
        return v == null ? "" : v;
    }

    /** The natives build: its properties file, and every file's name, size and modification time. */
    static String buildId(Path dir) {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                if (Files.isRegularFile(f)) {
                    sb.append(f.getFileName()).append(':').append(Files.size(f)).append(':')
                            .append(Files.getLastModifiedTime(f).toMillis()).append(';');
                }
            }
            Path props = dir.resolve(NativeLoader.PROPERTIES);
            if (Files.isRegularFile(props)) {
                sb.append(Files.readString(props));
            }
        } catch (IOException e) {
            sb.append("unreadable:").append(e.getMessage());
        }
        return sb.toString();
    }

    /** The CPU's model name and flags from /proc/cpuinfo (first processor), or what Java knows elsewhere. */
    static String cpuIdentity() {
        List<String> parts = new ArrayList<>();
        parts.add(System.getProperty("os.arch", ""));
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.isBlank() && parts.size() > 1) {
                    break; // the first processor's block is enough
                }
                String k = line.contains(":") ? line.substring(0, line.indexOf(':')).strip() : "";
                if (k.equals("vendor_id") || k.equals("model name") || k.equals("flags") || k.equals("Features")
                        || k.equals("CPU implementer") || k.equals("CPU part")) {
                    parts.add(line.strip());
                }
            }
        } catch (IOException | SecurityException e) {
            parts.add("no /proc/cpuinfo; " + Runtime.getRuntime().availableProcessors() + " cpus");
        }
        return String.join("\n", parts);
    }

    /** Tests: forget the decision so the next use decides again (only meaningful before any model loads). */
    static synchronized void resetForTests() {
        state = null;
    }
}
