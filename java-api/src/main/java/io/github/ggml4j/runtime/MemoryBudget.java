package io.github.ggml4j.runtime;

import io.github.ggml4j.InsufficientMemoryException;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.memory.MemorySpec;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The up-front check that an engine's memory and buffers fit in this machine (case 61): a context size too
 * large for the machine is refused with the estimate, before anything is allocated, instead of the process
 * being killed by the kernel's out-of-memory killer on first touch.
 */
final class MemoryBudget {

    private MemoryBudget() {
    }

    /** Bytes an engine with these options allocates: memory, masks, attention scores and output rows. */
    static long estimate(LoadedModel model, EngineOptions o) {
        HParams hp = model.hparams();
        // where the memory lives does not change its size: stand-in buffer types
        MemorySegment[] bufts = new MemorySegment[hp.nLayer()];
        Arrays.fill(bufts, MemorySegment.NULL);
        long memory = model.recipe().memoryBytes(new MemorySpec(hp, o.cells(), o.ubatchSize(), o.kvType(),
                o.flashAttention(), bufts, o.slidingWindow(), o.rolling()));
        long ub = o.ubatchSize();
        long mask = 2L * 4 * ub * o.cells();                                  // host staging + graph input
        long scores = o.flashAttention() ? 0 : 4L * o.cells() * ub * hp.nHead(); // KQ when not fused
        long outputs = 4L * hp.nVocab() * ub;
        return memory + mask + scores + outputs;
    }

    /** Throws when the estimate exceeds the memory available now. */
    static void check(LoadedModel model, EngineOptions o) {
        long need = estimate(model, o);
        long available = available();
        if (available > 0 && need > available) {
            throw new InsufficientMemoryException(String.format(
                    "a KV cache of %d cells with micro-batches of %d needs about %,d MiB, but only %,d MiB are available; "
                            + "use a smaller context size", o.cells(), o.ubatchSize(), need >> 20, available >> 20),
                    need, available);
        }
    }

    /** MemAvailable on Linux; -1 when unknown (no check then). */
    static long available() {
        Path meminfo = Path.of("/proc/meminfo");
        if (Files.isReadable(meminfo)) {
            try {
                List<String> lines = Files.readAllLines(meminfo);
                for (String l : lines) {
                    if (l.startsWith("MemAvailable:")) {
                        String[] parts = l.trim().split("\\s+");
                        return Long.parseLong(parts[1]) * 1024;
                    }
                }
            } catch (IOException | RuntimeException e) {
                // fall through to the JVM's view
            }
        }
        return -1;
    }
}
