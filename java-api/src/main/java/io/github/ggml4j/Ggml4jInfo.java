package io.github.ggml4j;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What ggml4j runs on: the native ggml it loaded, the backends and devices ggml registered, and the CPU.
 *
 * @param ggmlVersion    ggml's version, e.g. {@code 0.25.1}
 * @param ggmlCommit     the llama.cpp/ggml commit the natives were built from
 * @param cpuMode        {@code native} (tuned to the build machine) or {@code portable} (runtime dispatch)
 * @param cpuVariant     the CPU backend variant in use ({@code native}, or e.g. {@code haswell} when portable)
 * @param libraryDir     where the native libraries were loaded from
 * @param librarySource  how that directory was found
 * @param backends       registered ggml backends
 * @param devices        devices across all backends
 * @param cpuFeatures    the CPU backend's feature flags (e.g. {@code AVX2=1})
 * @param defaultThreads the thread count ggml4j uses when none is given
 * @param referenceTools where llama.cpp's reference tools (llama-bench ...) built from the same ggml are, or
 *                       an empty string when this build has none
 */
public record Ggml4jInfo(String ggmlVersion, String ggmlCommit, String cpuMode, String cpuVariant, String libraryDir,
                         String librarySource, List<Backend> backends, List<Device> devices,
                         Map<String, String> cpuFeatures, int defaultThreads, String referenceTools) {

    public Ggml4jInfo {
        Objects.requireNonNull(ggmlVersion);
        Objects.requireNonNull(referenceTools);
        backends = List.copyOf(backends);
        devices = List.copyOf(devices);
        cpuFeatures = Collections.unmodifiableMap(new LinkedHashMap<>(cpuFeatures)); // keeps ggml's order
    }

    /**
     * A ggml backend registry entry.
     *
     * @param name        e.g. {@code CPU}, {@code CUDA}
     * @param deviceCount how many devices it offers
     */
    public record Backend(String name, int deviceCount) {
    }

    /**
     * A device a backend offers.
     *
     * @param name        e.g. {@code CPU}, {@code CUDA0}
     * @param description e.g. the CPU model name
     * @param type        {@code CPU}, {@code GPU}, {@code IGPU} or {@code ACCEL}
     * @param memoryFree  free memory in bytes as the device reports it
     * @param memoryTotal total memory in bytes
     */
    public record Device(String name, String description, String type, long memoryFree, long memoryTotal) {
    }
}
