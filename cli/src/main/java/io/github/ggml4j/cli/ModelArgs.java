package io.github.ggml4j.cli;

import io.github.ggml4j.Ggml4j;
import io.github.ggml4j.model.KvLayout;
import io.github.ggml4j.model.ModelOptions;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options every command that runs a model shares (a picocli mixin). */
final class ModelArgs {

    @Option(names = {"-m", "--model"}, required = true, description = "GGUF model file")
    Path model;

    @Option(names = {"-t", "--threads"}, description = "CPU threads (default: all cores)")
    Integer threads;

    @Option(names = "--no-repack", description = "keep all weights in the file mapping (no repacking)")
    boolean noRepack;

    @Option(names = "--swa", description = "sliding attention window W (default: the file's; 0 turns it off)")
    Integer swa;

    @Option(names = "--kv-layout", defaultValue = "rolling",
            description = "with a sliding window: rolling (W slots per sequence) or full (every position, masked)")
    String kvLayout;

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
        return ModelOptions.defaults().withRepack(!noRepack).withThreads(threads()).withKvLayout(layout)
                .withSlidingWindow(swa == null ? -1 : swa);
    }
}
