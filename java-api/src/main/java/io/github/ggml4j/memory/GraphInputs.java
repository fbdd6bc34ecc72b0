package io.github.ggml4j.memory;

/**
 * The graph inputs one memory created for one graph (cell indices, masks); filled by that memory before
 * each compute. Opaque to the engine and the recipes.
 */
public interface GraphInputs {
}
