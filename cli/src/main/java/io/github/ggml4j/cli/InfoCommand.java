package io.github.ggml4j.cli;

import io.github.ggml4j.Ggml4j;
import io.github.ggml4j.Ggml4jInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ggml4j info}: the native runtime, backends, devices and CPU features. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show the ggml runtime, backends and devices.")
final class InfoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Option(names = {"-m", "--model"}, paramLabel = "FILE",
            description = "also show a model's attention layout: which layers are windowed, KV bytes per sequence")
    java.nio.file.Path model;

    @picocli.CommandLine.Option(names = "--rpc", paramLabel = "SERVERS",
            description = "also connect to these ggml RPC servers (host:port,...) and list their devices")
    String rpc;

    @Override
    public Integer call() {
        Ggml4jInfo info = Ggml4j.info();
        PrintWriter out = spec.commandLine().getOut();
        out.printf("ggml version   : %s (commit %s)%n", info.ggmlVersion(), info.ggmlCommit());
        out.printf("natives        : %s%n", info.libraryDir());
        out.printf("found via      : %s%n", info.librarySource());
        out.printf("cpu mode       : %s (variant %s)%n", info.cpuMode(), info.cpuVariant());
        out.printf("threads        : %d (default)%n", info.defaultThreads());
        out.println("backends       :");
        for (Ggml4jInfo.Backend b : info.backends()) {
            out.printf("  %-12s %d device(s)%n", b.name(), b.deviceCount());
        }
        out.println("devices        :");
        int gpu = 0;
        for (Ggml4jInfo.Device d : info.devices()) {
            // GPUs are numbered as --main-device counts them
            String index = d.type().equals("CPU") || d.type().equals("ACCEL") ? "" : "gpu " + gpu++;
            out.printf("  %-12s %-5s %-6s %s (%,d MiB free of %,d MiB)%n", d.name(), d.type(), index, d.description(),
                    d.memoryFree() >> 20, d.memoryTotal() >> 20);
        }
        if (rpc != null) {
            java.util.List<io.github.ggml4j.rpc.RpcEndpoint> servers;
            try {
                servers = io.github.ggml4j.rpc.RpcEndpoint.parseList(rpc);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--rpc: " + e.getMessage());
            }
            out.printf("rpc protocol   : %s%n", io.github.ggml4j.rpc.Rpc.protocolVersion());
            out.println("rpc devices    : (offload devices in this order, before local GPUs)");
            int index = 0;
            for (io.github.ggml4j.rpc.RemoteDevice d : io.github.ggml4j.rpc.Rpc.devices(servers)) {
                out.printf("  %-12s %-5s %-6s %s device %d (%,d MiB free of %,d MiB)%n", d.name(), "RPC",
                        "dev " + index++, d.endpoint(), d.index(), d.memoryFree() >> 20, d.memoryTotal() >> 20);
            }
        }
        StringBuilder features = new StringBuilder();
        for (Map.Entry<String, String> e : info.cpuFeatures().entrySet()) {
            features.append(features.isEmpty() ? "" : " ").append(e.getKey())
                    .append("1".equals(e.getValue()) ? "" : "=" + e.getValue());
        }
        out.printf("cpu features   : %s%n", features);
        out.printf("kernel probe   : %s%n", info.probe());
        out.println("cpu buffer types:");
        if (info.cpuBufferTypes().isEmpty()) {
            out.println("  (none besides the plain CPU buffer)");
        }
        for (Ggml4jInfo.BufferType b : info.cpuBufferTypes()) {
            out.printf("  %-12s %-8s %s%s%n", b.name(), b.usable() ? "usable" : "disabled", b.reason(),
                    b.weightTypes().isEmpty() ? "" : " [" + String.join(" ", b.weightTypes()) + "]");
        }
        if (!info.cpuVariants().isEmpty()) {
            out.println("cpu variants   :");
            for (Ggml4jInfo.CpuVariant v : info.cpuVariants()) {
                out.printf("  %-12s score %-3d %-8s %s%n", v.name(), v.score(),
                        v.inUse() ? "in use" : v.usable() ? "usable" : "disabled", v.reason());
            }
        }
        if (model != null) {
            try (io.github.ggml4j.gguf.GgufFile f = io.github.ggml4j.gguf.GgufFile.open(model)) {
                out.printf("model          : %s (%s)%n", model, f.metadata().architecture());
                AttentionSummary.of(f.metadata()).ifPresentOrElse(
                        lines -> lines.forEach(l -> out.printf("  %s%n", l)),
                        () -> out.println("  (not a model of a supported attention architecture)"));
            }
        }
        out.flush();
        return ExitCodes.OK;
    }
}
