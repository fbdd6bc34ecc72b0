package io.github.ggml4j.nativ;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Optional;

/**
 * Locks memory in RAM with the C library's {@code mlock(2)}, called straight through the FFM linker (POSIX; no
 * ggml or libggml4j symbol is involved), as llama.cpp's {@code --mlock} does. A refusal (usually
 * {@code RLIMIT_MEMLOCK}, see {@code ulimit -l}) is logged once and otherwise ignored, like llama.cpp's warning.
 * Locks last until the memory is unmapped or freed.
 */
public final class MemoryLock {

    private static final System.Logger LOG = System.getLogger("io.github.ggml4j.native");
    private static final long PAGE = 4096;

    private MemoryLock() {
    }

    /** Locks each region (page-aligned outward); returns the bytes locked. */
    public static long lock(List<MemorySegment> regions) {
        Optional<MethodHandle> mlock = handle();
        if (mlock.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "ggml4j: mlock is not available on this platform; weights are not locked");
            return 0;
        }
        long locked = 0;
        for (MemorySegment r : regions) {
            long start = r.address() & -PAGE;
            long len = r.address() + r.byteSize() - start;
            int rc;
            try {
                rc = (int) mlock.get().invokeExact(MemorySegment.ofAddress(start), len);
            } catch (Throwable t) {
                throw new IllegalStateException("mlock failed", t);
            }
            if (rc != 0) {
                long want = regions.stream().mapToLong(MemorySegment::byteSize).sum();
                LOG.log(System.Logger.Level.WARNING, "ggml4j: failed to mlock " + want + " bytes of weights (locked "
                        + locked + "); raise RLIMIT_MEMLOCK ('ulimit -l', or LimitMEMLOCK for a service) to lock them");
                return locked;
            }
            locked += len;
        }
        return locked;
    }

    private static Optional<MethodHandle> handle() {
        Linker linker = Linker.nativeLinker();
        return linker.defaultLookup().find("mlock").map(addr -> linker.downcallHandle(addr,
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG)));
    }
}
