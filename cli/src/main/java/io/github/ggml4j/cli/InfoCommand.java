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
        for (Ggml4jInfo.Device d : info.devices()) {
            out.printf("  %-12s %-5s %s (%,d MiB free of %,d MiB)%n", d.name(), d.type(), d.description(),
                    d.memoryFree() >> 20, d.memoryTotal() >> 20);
        }
        StringBuilder features = new StringBuilder();
        for (Map.Entry<String, String> e : info.cpuFeatures().entrySet()) {
            features.append(features.isEmpty() ? "" : " ").append(e.getKey())
                    .append("1".equals(e.getValue()) ? "" : "=" + e.getValue());
        }
        out.printf("cpu features   : %s%n", features);
        out.flush();
        return ExitCodes.OK;
    }
}
