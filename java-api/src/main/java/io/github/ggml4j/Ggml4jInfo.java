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
 * @param cpuBufferTypes the CPU's extra buffer types (AMX, CPU_REPACK ...) with the kernel probe's verdict
 * @param cpuVariants    portable builds: every CPU variant with its verdict; empty otherwise
 * @param probe          where the verdicts come from ({@code probed, cached in FILE}, {@code probe off} ...)
 */
public record Ggml4jInfo(String ggmlVersion, String ggmlCommit, String cpuMode, String cpuVariant, String libraryDir,
                         String librarySource, List<Backend> backends, List<Device> devices,
                         Map<String, String> cpuFeatures, int defaultThreads, String referenceTools,
                         List<BufferType> cpuBufferTypes, List<CpuVariant> cpuVariants, String probe) {

    public Ggml4jInfo {
        Objects.requireNonNull(ggmlVersion);
        Objects.requireNonNull(referenceTools);
        Objects.requireNonNull(probe);
        backends = List.copyOf(backends);
        devices = List.copyOf(devices);
        cpuFeatures = Collections.unmodifiableMap(new LinkedHashMap<>(cpuFeatures)); // keeps ggml's order
        cpuBufferTypes = List.copyOf(cpuBufferTypes);
        cpuVariants = List.copyOf(cpuVariants);
    }

    /**
     * A CPU extra buffer type: a weight layout for faster kernels.
     *
     * @param name        ggml's name, e.g. {@code CPU_REPACK}, {@code AMX}
     * @param usable      whether ggml4j places weights in it
     * @param reason      {@code passed}, or why it is off (the probe's finding, or the override that disabled it)
     * @param weightTypes the weight types it passed for (ggml names such as {@code q4_0}; {@code *} when not probed)
     */
    public record BufferType(String name, boolean usable, String reason, List<String> weightTypes) {
        public BufferType {
            Objects.requireNonNull(name);
            Objects.requireNonNull(reason);
            weightTypes = List.copyOf(weightTypes);
        }
    }

    /**
     * A CPU backend variant of a portable build.
     *
     * @param name   e.g. {@code haswell}, {@code zen4}
     * @param score  ggml's score for it on this CPU (0: cannot run here)
     * @param inUse  whether this process loaded it
     * @param usable whether it passed the kernel probe
     * @param reason {@code passed}, or why not
     */
    public record CpuVariant(String name, int score, boolean inUse, boolean usable, String reason) {
        public CpuVariant {
            Objects.requireNonNull(name);
            Objects.requireNonNull(reason);
        }
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
