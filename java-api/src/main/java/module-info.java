/**
 * ggml4j: quantized LLM inference in the JVM over ggml.
 *
 * <p>Only API packages are exported; the FFM bindings and everything that touches {@code MemorySegment}
 * stay inside.
 */
module io.github.ggml4j {
    requires io.github.ggml4j.bindings;

    exports io.github.ggml4j;
    exports io.github.ggml4j.bench;
    exports io.github.ggml4j.gguf;
    exports io.github.ggml4j.grammar;
    exports io.github.ggml4j.model;
    exports io.github.ggml4j.rpc;
    exports io.github.ggml4j.session;
    exports io.github.ggml4j.sampling;
    exports io.github.ggml4j.tokenizer;

    // internal, for ggml4j's own modules only
    exports io.github.ggml4j.nativ to io.github.ggml4j.quantize, io.github.ggml4j.train;
}
