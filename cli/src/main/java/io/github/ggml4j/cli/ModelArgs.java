package io.github.ggml4j.cli;

import io.github.ggml4j.Ggml4j;
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

    int threads() {
        return threads != null ? threads : Ggml4j.defaultThreads();
    }

    /** Load options with this command's threads and repacking (the engine's other settings at their defaults). */
    ModelOptions modelOptions() {
        return ModelOptions.defaults().withRepack(!noRepack).withThreads(threads());
    }
}
