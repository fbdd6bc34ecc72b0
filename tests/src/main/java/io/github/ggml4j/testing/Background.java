package io.github.ggml4j.testing;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/** Work on a thread of its own (a daemon platform thread), for tests that stop or race it from another. */
public final class Background {

    private Background() {
    }

    /** Runs {@code work} on a new thread; its result or exception comes back through the future. */
    public static <T> CompletableFuture<T> start(Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, r -> {
            Thread t = new Thread(r, "ggml4j-test-worker");
            t.setDaemon(true);
            t.start();
        });
    }

    /** The exception the work ended with; an {@link AssertionError} when it finished or ran past 30 s. */
    public static Throwable failure(CompletableFuture<?> f) throws InterruptedException {
        try {
            f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError("the work did not stop within 30 s");
        }
        throw new AssertionError("the work finished instead of being stopped");
    }
}
