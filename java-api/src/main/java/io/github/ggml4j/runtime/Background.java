package io.github.ggml4j.runtime;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.Supplier;

/**
 * One piece of start-up work run on its own daemon thread while the caller does another, so that a short
 * command's independent steps (building the tokenizer, binding the weights) overlap on a second core. With one
 * core it runs inline. {@link #join()} gives the result, or rethrows what the work threw, unchanged.
 */
final class Background<T> {

    private final FutureTask<T> task;

    private Background(Supplier<T> work) {
        this.task = new FutureTask<>(work::get);
    }

    /** Starts {@code work} (on the caller's thread when only one processor is available). */
    static <T> Background<T> start(String name, Supplier<T> work) {
        Background<T> b = new Background<>(work);
        if (Runtime.getRuntime().availableProcessors() > 1) {
            Thread.ofPlatform().name(name).daemon().start(b.task);
        } else {
            b.task.run();
        }
        return b;
    }

    /** Waits for the work; its unchecked exception or error is rethrown as it was thrown. */
    T join() {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return task.get();
                } catch (InterruptedException e) {
                    interrupted = true; // the work is short and owns resources the caller must see finished
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException r) {
                        throw r;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(cause);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
