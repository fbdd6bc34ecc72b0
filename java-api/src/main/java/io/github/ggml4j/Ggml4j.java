package io.github.ggml4j;

import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.internal.ggml.ggml_backend_dev_props;
import io.github.ggml4j.nativ.CpuPaths;
import io.github.ggml4j.nativ.NativeLoader;
import io.github.ggml4j.nativ.NativeRuntime;
import io.github.ggml4j.nativ.ProbeVerdict;
import io.github.ggml4j.runtime.Devices;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Entry point for facts about the runtime.
 *
 * {@snippet :
 * Ggml4jInfo info = Ggml4j.info();
 * System.out.println("ggml " + info.ggmlVersion() + " on " + info.devices());
 * }
 */
public final class Ggml4j {

    private Ggml4j() {
    }

    /** Loads the native libraries if needed and describes them. */
    public static Ggml4jInfo info() {
        NativeRuntime rt = NativeLoader.ensureLoaded();
        List<Ggml4jInfo.Backend> backends = new ArrayList<>();
        Map<String, String> features = new LinkedHashMap<>();
        long regs = GgmlLib.ggml_backend_reg_count();
        for (long i = 0; i < regs; i++) {
            MemorySegment reg = GgmlLib.ggml_backend_reg_get(i);
            String name = GgmlLib.ggml_backend_reg_name(reg).getString(0);
            backends.add(new Ggml4jInfo.Backend(name, (int) GgmlLib.ggml_backend_reg_dev_count(reg)));
            if ("CPU".equals(name)) {
                features.putAll(backendFeatures(reg));
            }
        }
        List<Ggml4jInfo.Device> devices = new ArrayList<>();
        long devs = GgmlLib.ggml_backend_dev_count();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment props = ggml_backend_dev_props.allocate(arena);
            for (long i = 0; i < devs; i++) {
                MemorySegment dev = GgmlLib.ggml_backend_dev_get(i);
                GgmlLib.ggml_backend_dev_get_props(dev, props);
                devices.add(new Ggml4jInfo.Device(
                        cString(ggml_backend_dev_props.name(props)),
                        cString(ggml_backend_dev_props.description(props)),
                        deviceType(ggml_backend_dev_props.type(props)),
                        ggml_backend_dev_props.memory_free(props),
                        ggml_backend_dev_props.memory_total(props)));
            }
        }
        Devices d = Devices.get();
        CpuPaths.Settings settings = CpuPaths.Settings.current();
        List<Ggml4jInfo.BufferType> bufts = new ArrayList<>();
        for (ProbeVerdict.Buft b : d.cpuVerdict().bufts()) {
            boolean off = settings.disables(b.name());
            bufts.add(new Ggml4jInfo.BufferType(b.name(), b.usable() && !off,
                    off ? "disabled by ggml4j.cpu.disable" + (b.usable() ? "" : "; probe: " + b.reason()) : b.reason(),
                    b.types().stream().sorted().toList()));
        }
        List<Ggml4jInfo.CpuVariant> variants = new ArrayList<>();
        CpuPaths.State st = d.cpuState();
        if ("portable".equals(rt.cpuMode())) {
            for (ProbeVerdict v : st.variants()) {
                variants.add(new Ggml4jInfo.CpuVariant(v.variant(), v.score(), v.variant().equals(st.chosen()),
                        v.usable(), v.reason()));
            }
        }
        return new Ggml4jInfo(rt.ggmlVersion(), rt.ggmlCommit(), rt.cpuMode(), rt.cpuVariant(),
                rt.libraryDir().toString(), rt.source(), backends, devices, features, defaultThreads(),
                rt.referenceBinDir().map(Object::toString).orElse(""), bufts, variants, st.how());
    }

    /** The thread count used when none is given: the number of available processors. */
    public static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    private static Map<String, String> backendFeatures(MemorySegment reg) {
        Map<String, String> out = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            int needed = GgmlLib.ggml4j_backend_features(reg, MemorySegment.NULL, 0);
            if (needed <= 0) {
                return out;
            }
            MemorySegment buf = arena.allocate(needed + 1L);
            GgmlLib.ggml4j_backend_features(reg, buf, needed + 1);
            for (String pair : buf.getString(0).split(";")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    out.put(pair.substring(0, eq), pair.substring(eq + 1));
                }
            }
        }
        return out;
    }

    private static String cString(MemorySegment p) {
        return p.equals(MemorySegment.NULL) ? "" : p.reinterpret(Integer.MAX_VALUE).getString(0);
    }

    private static String deviceType(int type) {
        if (type == GgmlLib.GGML_BACKEND_DEVICE_TYPE_CPU()) {
            return "CPU";
        } else if (type == GgmlLib.GGML_BACKEND_DEVICE_TYPE_GPU()) {
            return "GPU";
        } else if (type == GgmlLib.GGML_BACKEND_DEVICE_TYPE_IGPU()) {
            return "IGPU";
        } else if (type == GgmlLib.GGML_BACKEND_DEVICE_TYPE_ACCEL()) {
            return "ACCEL";
        }
        return "OTHER(" + type + ")";
    }
}
