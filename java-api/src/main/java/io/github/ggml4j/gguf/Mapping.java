package io.github.ggml4j.gguf;

import io.github.ggml4j.ResourceClosedException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The bytes a GGUF file's values live in, and whether they may still be read: a file mapping that
 * {@link GgufFile#close()} unmaps, or a heap array that never goes away.
 */
final class Mapping {

    private final MemorySegment segment;
    private final Arena arena;
    private final String origin;

    private Mapping(MemorySegment segment, Arena arena, String origin) {
        this.segment = segment;
        this.arena = arena;
        this.origin = origin;
    }

    static Mapping ofFile(MemorySegment segment, Arena arena, String origin) {
        return new Mapping(segment, arena, origin);
    }

    static Mapping ofHeap(byte[] bytes) {
        return new Mapping(MemorySegment.ofArray(bytes), null, "heap");
    }

    MemorySegment segment() {
        return segment;
    }

    boolean isOpen() {
        return arena == null || arena.scope().isAlive();
    }

    /** Throws if the mapping was closed; call before touching {@link #segment()}. */
    void check() {
        if (!isOpen()) {
            throw closed(null);
        }
    }

    /**
     * For the race where another thread closes the file between {@link #check()} and the access: the JDK
     * then throws IllegalStateException, which callers turn into this.
     */
    ResourceClosedException closed(IllegalStateException cause) {
        return new ResourceClosedException("GGUF file " + origin + " is closed", cause);
    }

    void close() {
        if (arena != null) {
            synchronized (this) {
                if (arena.scope().isAlive()) {
                    arena.close();
                }
            }
        }
    }
}
