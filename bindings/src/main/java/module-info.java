/**
 * jextract-generated bindings for ggml and libggml4j. Internal: exported only to ggml4j's own modules.
 */
@SuppressWarnings("module")
module io.github.ggml4j.bindings {
    exports io.github.ggml4j.internal.ggml to io.github.ggml4j, io.github.ggml4j.quantize, io.github.ggml4j.train;
}
