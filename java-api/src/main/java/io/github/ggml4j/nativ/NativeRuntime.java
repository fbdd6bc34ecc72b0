package io.github.ggml4j.nativ;

import io.github.ggml4j.internal.ggml.GgmlLib;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@link NativeLoader} loaded: where from, and the facts CMake recorded next to the libraries.
 *
 * @param libraryDir directory the libraries were loaded from
 * @param source     how that directory was found (property, build output, natives jar)
 * @param properties the contents of {@code ggml4j-natives.properties}
 */
public record NativeRuntime(Path libraryDir, String source, Map<String, String> properties) {

    private static final Pattern CPU_VARIANT = Pattern.compile("libggml-cpu-([A-Za-z0-9_]+)\\.so");

    public NativeRuntime {
        properties = Map.copyOf(properties);
    }

    NativeRuntime(Path libraryDir, String source, Properties props) {
        this(libraryDir, source, toMap(props));
    }

    private static Map<String, String> toMap(Properties props) {
        Map<String, String> m = new TreeMap<>();
        props.stringPropertyNames().forEach(k -> m.put(k, props.getProperty(k)));
        return m;
    }

    /** ggml's own version string, as the loaded library reports it. */
    public String ggmlVersion() {
        return GgmlLib.ggml_version().getString(0);
    }

    /** ggml's commit, as the loaded library reports it. */
    public String ggmlCommit() {
        return GgmlLib.ggml_commit().getString(0);
    }

    /** "native" (tuned to the build machine) or "portable" (CPU variant picked at run time). */
    public String cpuMode() {
        return properties.getOrDefault("cpu.mode", "native");
    }

    /**
     * The CPU backend variant in use: in portable builds the variant library ggml picked for this CPU (read
     * from the process's mappings), else "native".
     */
    public String cpuVariant() {
        if (!"portable".equals(cpuMode())) {
            return "native";
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                Matcher m = CPU_VARIANT.matcher(line);
                if (m.find()) {
                    return m.group(1);
                }
            }
        } catch (IOException | SecurityException e) {
            return "unknown";
        }
        return "unknown";
    }

    /** The pinned llama.cpp source tree the build used (vocab test files live in its models/). */
    public Optional<Path> llamaSourceDir() {
        return pathProperty("llama.source.dir");
    }

    /** Where llama.cpp's reference tools (llama-bench, llama-simple, ...) were built, if they were. */
    public Optional<Path> referenceBinDir() {
        return pathProperty("reference.bin.dir");
    }


    /** Where ggml4j's own native helper programs (the reference harness) were built, if they were. */
    public Optional<Path> extraBinDir() {
        return pathProperty("extra.bin.dir");
    }

    private Optional<Path> pathProperty(String key) {
        String v = properties.get(key);
        if (v == null || v.isBlank()) {
            return Optional.empty();
        }
        Path p = Path.of(v);
        return Files.isDirectory(p) ? Optional.of(p) : Optional.empty();
    }
}
