package io.github.ggml4j.cli;

import io.github.ggml4j.Ggml4j;
import io.github.ggml4j.model.KvLayout;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.model.SplitMode;
import io.github.ggml4j.rpc.RpcEndpoint;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The options every command that runs a model shares (a picocli mixin). */
final class ModelArgs {

    @Option(names = {"-m", "--model"}, description = "GGUF model file (generate and chat: default the demo model, "
            + DefaultModel.RELATIVE + ")")
    Path model;

    @Option(names = {"-t", "--threads"}, description = "CPU threads (default: all cores)")
    Integer threads;

    @Option(names = "--no-repack", description = "keep all weights in the file mapping (no repacking)")
    boolean noRepack;

    @Option(names = "--no-amx", description = "never place weights in the AMX buffer type")
    boolean noAmx;

    @Option(names = "--cpu-disable", split = ",", paramLabel = "NAME",
            description = "never place weights in these CPU buffer types (e.g. AMX,CPU_REPACK; see ggml4j info)")
    List<String> cpuDisable;

    @Option(names = "--no-probe", description = "trust the CPU flags: run no kernel probe before using fast CPU paths")
    boolean noProbe;

    @Option(names = "--cpu-variant", paramLabel = "NAME",
            description = "portable builds: load this CPU variant (e.g. haswell) whatever the kernel probe says")
    String cpuVariant;

    @Option(names = "--swa", description = "sliding attention window W (default: the file's; 0 turns it off)")
    Integer swa;

    @Option(names = "--kv-layout", defaultValue = "rolling",
            description = "with a sliding window: rolling (W slots per sequence) or full (every position, masked)")
    String kvLayout;

    @Option(names = "--no-mmap", description = "copy the weights into memory at load instead of using them from the "
            + "file mapping (then truncating or rewriting the file cannot crash the process with SIGBUS)")
    boolean noMmap;

    @Option(names = "--mlock", description = "lock the weights in RAM so they are never paged out (needs RLIMIT_MEMLOCK, "
            + "see ulimit -l; warns and goes on without)")
    boolean mlock;

    @Option(names = {"-mg", "--main-device"}, defaultValue = "0", paramLabel = "N",
            description = "GPU (index in ggml4j info) for offloaded layers with --split-mode none, and for the output head")
    int mainDevice;

    @Option(names = {"-sm", "--split-mode"}, defaultValue = "layer", paramLabel = "MODE",
            description = "how offloaded layers spread over GPUs: none (main device only) or layer (by free memory)")
    String splitMode;

    @Option(names = "--rpc", paramLabel = "SERVERS",
            description = "ggml RPC servers host:port,... whose devices take offloaded layers before local GPUs "
                    + "(with it, --gpu-layers defaults to all layers)")
    String rpc;

    @Option(names = {"-ts", "--tensor-split"}, paramLabel = "SHARES",
            description = "share of offloaded layers per offload device (RPC devices first, then GPUs), e.g. 3,1 "
                    + "(default: by free memory)")
    String tensorSplit;

    int threads() {
        return threads != null ? threads : Ggml4j.defaultThreads();
    }

    /** Load options with this command's threads and repacking (the engine's other settings at their defaults). */
    ModelOptions modelOptions() {
        KvLayout layout = switch (kvLayout.toLowerCase(java.util.Locale.ROOT)) {
            case "rolling" -> KvLayout.ROLLING;
            case "full" -> KvLayout.FULL;
            default -> throw new IllegalArgumentException("--kv-layout must be rolling or full, not '" + kvLayout + "'");
        };
        if (swa != null && swa < 0) {
            throw new IllegalArgumentException("--swa must be 0 (off) or a positive window, not " + swa);
        }
        SplitMode split = switch (splitMode.toLowerCase(java.util.Locale.ROOT)) {
            case "none" -> SplitMode.NONE;
            case "layer" -> SplitMode.LAYER;
            default -> throw new IllegalArgumentException("--split-mode must be none or layer, not '" + splitMode + "'");
        };
        if (mainDevice < 0) {
            throw new IllegalArgumentException("--main-device must be >= 0, got " + mainDevice);
        }
        applyProcessSettings();
        return ModelOptions.defaults().withMmap(!noMmap).withMlock(mlock).withMainDevice(mainDevice).withSplitMode(split)
                .withRepack(!noRepack).withThreads(threads()).withKvLayout(layout)
                .withSlidingWindow(swa == null ? -1 : swa).withDisabledBufferTypes(disabledBufferTypes())
                .withRpcServers(rpcServers()).withTensorSplit(tensorSplit())
                // with --rpc every layer goes to the offload devices unless -ngl says otherwise (llama.cpp's default)
                .withGpuLayers(rpcServers().isEmpty() ? 0 : RunArgs.MAX_LAYERS);
    }

    /** --rpc's servers (none without it). */
    List<RpcEndpoint> rpcServers() {
        if (rpc == null) {
            return List.of();
        }
        try {
            return RpcEndpoint.parseList(rpc);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--rpc: " + e.getMessage());
        }
    }

    /** --tensor-split's shares, separated by ',' or '/' as llama.cpp takes them. */
    List<Double> tensorSplit() {
        if (tensorSplit == null) {
            return List.of();
        }
        List<Double> out = new java.util.ArrayList<>();
        for (String part : tensorSplit.split("[,/]", -1)) {
            try {
                double d = Double.parseDouble(part.strip());
                if (!(d >= 0) || Double.isInfinite(d)) {
                    throw new NumberFormatException();
                }
                out.add(d);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--tensor-split takes non-negative numbers like 3,1, not '"
                        + tensorSplit + "'");
            }
        }
        return out;
    }

    private Set<String> disabledBufferTypes() {
        Set<String> off = new LinkedHashSet<>();
        if (noAmx) {
            off.add("AMX");
        }
        if (cpuDisable != null) {
            for (String n : cpuDisable) {
                if (n.isBlank()) {
                    throw new IllegalArgumentException("--cpu-disable needs buffer type names, e.g. AMX");
                }
                off.add(n.strip());
            }
        }
        return off;
    }

    /** --no-probe and --cpu-variant decide how the natives load, so they apply process-wide, before loading. */
    private void applyProcessSettings() {
        if (noProbe) {
            System.setProperty("ggml4j.probe", "off");
        }
        if (cpuVariant != null) {
            System.setProperty("ggml4j.cpu.variant", cpuVariant.strip());
        }
    }
}
