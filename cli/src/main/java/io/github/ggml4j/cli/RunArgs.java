package io.github.ggml4j.cli;

import io.github.ggml4j.Ggml4j;
import io.github.ggml4j.model.ModelOptions;
import picocli.CommandLine.Option;

import java.util.Locale;

/** Context, batch, flash-attention and offload flags, shared by {@code generate} and {@code chat}. */
final class RunArgs {

    /** --gpu-layers' value for "all layers" (llama.cpp's -ngl 999). */
    static final int MAX_LAYERS = 999;

    @Option(names = {"-c", "--ctx-size"}, defaultValue = "0", description = "context size (default: the model's, at most 4096)")
    int ctx;

    @Option(names = {"-b", "--batch-size"}, defaultValue = "512", description = "micro-batch size for the prompt (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = {"-fa", "--flash-attn"}, arity = "0..1", fallbackValue = "on", defaultValue = "auto",
            description = "flash attention: on, off or auto (default ${DEFAULT-VALUE}: on for the CPU backend)")
    String flashAttn;

    @Option(names = {"-ngl", "--gpu-layers"}, paramLabel = "N",
            description = "layers to offload to GPUs or RPC devices, counted as llama.cpp counts them: the output "
                    + "head first, then blocks from the last (default: 0, all with --rpc)")
    Integer gpuLayersOption;

    /** The model options these flags ask for; an invalid flag is an error naming it. */
    ModelOptions modelOptions(ModelArgs modelArgs) {
        if (ctx < 0) {
            throw new IllegalArgumentException("-c/--ctx-size must be 0 (the model's) or positive, got " + ctx);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("-b/--batch-size must be at least 1, got " + batch);
        }
        boolean rpc = !modelArgs.rpcServers().isEmpty();
        int gpuLayers = gpuLayersOption != null ? gpuLayersOption : rpc ? MAX_LAYERS : 0;
        if (gpuLayers < 0) {
            throw new IllegalArgumentException("--gpu-layers must be >= 0, got " + gpuLayers);
        }
        if (gpuLayers > 0 && !rpc && Ggml4j.info().devices().stream().noneMatch(d -> !d.type().equals("CPU"))) {
            throw new IllegalArgumentException("--gpu-layers " + gpuLayers + ": this build has no GPU backend "
                    + "(build with GGML4J_CMAKE_ARGS=-DGGML4J_CUDA=ON) or no GPU is present; --rpc adds remote devices");
        }
        boolean fa = switch (flashAttn.toLowerCase(Locale.ROOT)) {
            case "on", "1", "true" -> true;
            case "off", "0", "false" -> false;
            case "auto" -> true;
            default -> throw new IllegalArgumentException("--flash-attn must be on, off or auto, not '" + flashAttn + "'");
        };
        return modelArgs.modelOptions().withGpuLayers(gpuLayers).withBatchSize(batch).withFlashAttention(fa)
                .withContextSize(ctx > 0 ? ctx : ModelOptions.defaults().contextSize()).withCachedPrompts(0);
    }
}
