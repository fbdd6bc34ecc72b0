/**
 * ggml4j's native libraries for one platform, as resources (no classes). On the module path, resolve it with
 * {@code --add-modules io.github.ggml4j.natives}; nothing requires it, since the libraries may come from a
 * directory instead.
 */
module io.github.ggml4j.natives {
}
