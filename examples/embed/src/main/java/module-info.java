/** The example as a module: it needs ggml4j's API module only (the natives jar is added at launch). */
module example.embed {
    requires io.github.ggml4j;
}
