package io.github.ggml4j.server;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server's generation slots and the bounded queue in front of them: {@code parallel} requests generate at
 * once, up to {@code queueSize} more wait (first come, first served), any further one is refused with 503.
 */
final class Slots {

    private final int parallel;
    private final int queueSize;
    private final Semaphore free;
    private final AtomicInteger waiting = new AtomicInteger();

    Slots(int parallel, int queueSize) {
        this.parallel = parallel;
        this.queueSize = queueSize;
        this.free = new Semaphore(parallel, true);
    }

    /** A slot, released by closing it. */
    interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    Slot acquire(long timeoutSeconds) throws InterruptedException {
        if (!free.tryAcquire()) {
            if (waiting.incrementAndGet() > queueSize) {
                waiting.decrementAndGet();
                throw ApiError.of(503, "unavailable_error", "server_busy", "the server is busy: " + parallel
                        + " requests are generating and " + queueSize + " are waiting; try again later");
            }
            try {
                if (!free.tryAcquire(timeoutSeconds, TimeUnit.SECONDS)) {
                    throw ApiError.of(503, "unavailable_error", "timeout", "no slot became free within "
                            + timeoutSeconds + " s");
                }
            } finally {
                waiting.decrementAndGet();
            }
        }
        boolean[] released = new boolean[1];
        return () -> {
            synchronized (released) {
                if (!released[0]) {
                    released[0] = true;
                    free.release();
                }
            }
        };
    }

    int processing() {
        return parallel - free.availablePermits();
    }

    int idle() {
        return free.availablePermits();
    }

    int waiting() {
        return waiting.get();
    }
}
