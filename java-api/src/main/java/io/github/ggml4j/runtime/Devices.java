package io.github.ggml4j.runtime;

import io.github.ggml4j.NativeLibraryException;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.nativ.NativeLoader;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/** The ggml devices of this process: the CPU, its extra (repacking) buffer types, and any GPUs. */
public final class Devices {

    private static volatile Devices instance;

    private final MemorySegment cpu;
    private final MemorySegment cpuBuft;
    private final List<MemorySegment> cpuExtraBufts;
    private final List<MemorySegment> gpus;

    private Devices() {
        NativeLoader.ensureLoaded();
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
        cpuExtraBufts = List.copyOf(extra);
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

    /** Buffer types that store weights in layouts for faster CPU kernels (Q4_0/IQ4_NL/Q4_K repacking, AMX). */
    public List<MemorySegment> cpuExtraBufts() {
        return cpuExtraBufts;
    }

    public List<MemorySegment> gpus() {
        return gpus;
    }

    public static String name(MemorySegment dev) {
        return GgmlLib.ggml_backend_dev_name(dev).reinterpret(256).getString(0);
    }

    public static String buftName(MemorySegment buft) {
        return GgmlLib.ggml_backend_buft_name(buft).reinterpret(256).getString(0);
    }
}
