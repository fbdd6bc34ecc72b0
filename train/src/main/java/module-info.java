/**
 * ggml4j training: the project's own demo model, trained with ggml's optimizer (ggml-opt) on a Llama graph
 * built for training (no cache, full causal attention per sequence).
 */
module io.github.ggml4j.train {
    requires transitive io.github.ggml4j;
    requires io.github.ggml4j.bindings;
    requires io.github.ggml4j.quantize;
    requires java.desktop;

    exports io.github.ggml4j.train;
}
