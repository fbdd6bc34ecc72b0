package io.github.ggml4j.runtime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The RPC server's cache check: a file whose bytes do not hash to its name (cut short) is removed. */
class RpcCacheSweepTest {

    @TempDir
    Path dir;

    @Test
    void removesOnlyFilesWhoseContentDoesNotMatchTheirHashName() throws Exception {
        // FNV-1a 64 of "a" is af63dc4c8601ec8c (the published test vector), as ggml-rpc.cpp's fnv_hash computes it
        Files.writeString(dir.resolve("af63dc4c8601ec8c"), "a", StandardCharsets.US_ASCII);
        Files.writeString(dir.resolve("af63dc4c8601ec8d"), "a", StandardCharsets.US_ASCII); // damaged
        Files.writeString(dir.resolve("notes.txt"), "kept", StandardCharsets.US_ASCII);
        assertEquals(0xaf63dc4c8601ec8cL, RpcServing.fnv1a(dir.resolve("af63dc4c8601ec8c")));
        assertEquals(1, RpcServing.sweep(dir));
        assertTrue(Files.exists(dir.resolve("af63dc4c8601ec8c")));
        assertFalse(Files.exists(dir.resolve("af63dc4c8601ec8d")));
        assertTrue(Files.exists(dir.resolve("notes.txt")));
        assertEquals(0, RpcServing.sweep(dir.resolve("new/sub"))); // made when missing
        assertTrue(Files.isDirectory(dir.resolve("new/sub")));
    }
}
