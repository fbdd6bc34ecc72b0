/** ggml4j quantization: turning float weights into ggml's quantized types, and whole GGUF files. */
module io.github.ggml4j.quantize {
    requires transitive io.github.ggml4j;
    requires io.github.ggml4j.bindings;

    exports io.github.ggml4j.quantize;
}
