package io.github.ggml4j.gguf;

import java.lang.management.ManagementFactory;

/** Bytes the current thread allocates on the heap while running something (HotSpot's exact counter). */
final class Alloc {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private Alloc() {
    }

    static long now() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }
}
