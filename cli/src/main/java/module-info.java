/** The ggml4j command line (picocli). */
module io.github.ggml4j.cli {
    requires io.github.ggml4j;
    requires io.github.ggml4j.quantize;
    requires io.github.ggml4j.chat;
    requires io.github.ggml4j.train;
    requires info.picocli;
    requires java.logging;
    requires jdk.httpserver;
    requires com.fasterxml.jackson.databind;

    exports io.github.ggml4j.server;

    opens io.github.ggml4j.cli to info.picocli;
}
