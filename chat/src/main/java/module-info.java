/**
 * ggml4j chat: a model's chat template rendered in a sandbox, and chat sessions that keep a conversation in a
 * session's cells.
 */
module io.github.ggml4j.chat {
    requires transitive io.github.ggml4j;
    requires jinjava;
    requires com.fasterxml.jackson.databind; // tool calls' JSON
    requires com.google.common;
    requires java.desktop; // java.beans, used by the EL resolver API

    exports io.github.ggml4j.chat;
}
