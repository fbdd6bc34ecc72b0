package io.github.ggml4j.runtime;

import io.github.ggml4j.NativeLibraryException;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.internal.ggml.ggml_backend_dev_caps;
import io.github.ggml4j.internal.ggml.ggml_backend_dev_props;
import io.github.ggml4j.nativ.CpuPaths;
import io.github.ggml4j.nativ.NativeLoader;
import io.github.ggml4j.nativ.NativeRuntime;
import io.github.ggml4j.nativ.ProbeVerdict;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The ggml devices of this process: the CPU, its extra (repacking) buffer types, and any GPUs. Extra buffer
 * types are offered only when the kernel probe passed them on this machine and no override switched them off
 * (see {@link CpuPaths}).
 */
public final class Devices {

    private static volatile Devices instance;

    private final MemorySegment cpu;
    private final MemorySegment cpuBuft;
    private final List<MemorySegment> cpuExtraBufts;
    private final List<MemorySegment> allCpuExtraBufts;
    private final ProbeVerdict verdict;
    private final CpuPaths.State state;
    private final List<MemorySegment> gpus;

    private Devices() {
        NativeRuntime rt = NativeLoader.ensureLoaded();
        cpu = GgmlLib.ggml_backend_dev_by_type(GgmlLib.GGML_BACKEND_DEVICE_TYPE_CPU());
        if (cpu.equals(MemorySegment.NULL)) {
            throw new NativeLibraryException("ggml has no CPU backend device");
        }
        cpuBuft = GgmlLib.ggml_backend_dev_buffer_type(cpu);
        List<MemorySegment> extra = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            int n = GgmlLib.ggml4j_dev_extra_bufts(cpu, MemorySegment.NULL, 0);
            if (n > 0) {
                MemorySegment out = arena.allocate(ValueLayout.ADDRESS, n);
                GgmlLib.ggml4j_dev_extra_bufts(cpu, out, n);
                for (int i = 0; i < n; i++) {
                    extra.add(out.getAtIndex(ValueLayout.ADDRESS, i));
                }
            }
        }
        allCpuExtraBufts = List.copyOf(extra);
        List<String> names = allCpuExtraBufts.stream().map(Devices::buftName).toList();
        state = CpuPaths.state().orElseGet(() -> CpuPaths.nativeState(rt, names));
        verdict = state.current(names);
        CpuPaths.Settings settings = CpuPaths.Settings.current();
        cpuExtraBufts = allCpuExtraBufts.stream().filter(b -> {
            String n = buftName(b);
            return !settings.disables(n) && verdict.buft(n).map(ProbeVerdict.Buft::usable).orElse(false);
        }).toList();
        List<MemorySegment> g = new ArrayList<>();
        long count = GgmlLib.ggml_backend_dev_count();
        for (long i = 0; i < count; i++) {
            MemorySegment dev = GgmlLib.ggml_backend_dev_get(i);
            int type = GgmlLib.ggml_backend_dev_type(dev);
            if (type == GgmlLib.GGML_BACKEND_DEVICE_TYPE_GPU() || type == GgmlLib.GGML_BACKEND_DEVICE_TYPE_IGPU()) {
                g.add(dev);
            }
        }
        gpus = List.copyOf(g);
    }

    public static Devices get() {
        Devices d = instance;
        if (d == null) {
            synchronized (Devices.class) {
                d = instance;
                if (d == null) {
                    d = new Devices();
                    instance = d;
                }
            }
        }
        return d;
    }

    public MemorySegment cpu() {
        return cpu;
    }

    /** The CPU's ordinary host buffer type. */
    public MemorySegment cpuBuft() {
        return cpuBuft;
    }

    /**
     * Buffer types that store weights in layouts for faster CPU kernels (Q4_0/IQ4_NL/Q4_K repacking, AMX) and
     * passed the kernel probe here, minus those switched off by {@code ggml4j.cpu.disable}.
     */
    public List<MemorySegment> cpuExtraBufts() {
        return cpuExtraBufts;
    }

    /** Whether the kernel probe passed mul_mat with weights of this type in this (usable) extra buffer type. */
    public boolean extraAccepts(MemorySegment buft, GgmlType type) {
        return cpuExtraBufts.contains(buft) && verdict.buft(buftName(buft)).map(b -> b.accepts(type.ggmlName()))
                .orElse(false);
    }

    /** Every extra buffer type the CPU backend offers, with the probe's verdict on each (for info). */
    public ProbeVerdict cpuVerdict() {
        return verdict;
    }

    /** The kernel probe's decision for this process (every variant's verdict in portable builds). */
    public CpuPaths.State cpuState() {
        return state;
    }

    public List<MemorySegment> gpus() {
        return gpus;
    }

    /** {free, total} bytes of a device's memory, as its backend reports them (system RAM for the CPU). */
    public static long[] memory(MemorySegment dev) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment total = arena.allocate(ValueLayout.JAVA_LONG);
            GgmlLib.ggml_backend_dev_memory(dev, free, total);
            return new long[] {free.get(ValueLayout.JAVA_LONG, 0), total.get(ValueLayout.JAVA_LONG, 0)};
        }
    }

    /** Whether a device's backend computes asynchronously and has events (what pipelined splits need). */
    public static boolean asyncWithEvents(MemorySegment dev) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment props = ggml_backend_dev_props.allocate(arena);
            GgmlLib.ggml_backend_dev_get_props(dev, props);
            MemorySegment caps = ggml_backend_dev_props.caps(props);
            return ggml_backend_dev_caps.async(caps) && ggml_backend_dev_caps.events(caps);
        }
    }

    public static String name(MemorySegment dev) {
        return GgmlLib.ggml_backend_dev_name(dev).reinterpret(256).getString(0);
    }

    public static String buftName(MemorySegment buft) {
        return GgmlLib.ggml_backend_buft_name(buft).reinterpret(256).getString(0);
    }
}
