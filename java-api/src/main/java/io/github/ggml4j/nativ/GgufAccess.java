package io.github.ggml4j.nativ;

import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufTensorInfo;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * ggml4j-internal access to a {@link GgufFile}'s mapping, which the public API does not expose: the model
 * loader points ggml tensors straight into it. {@code GgufFile} registers the implementation from its static
 * initializer (the JDK's "shared secrets" pattern), so the exported package needs no method that returns a
 * {@code MemorySegment}.
 *
 * <p>The segments live as long as the file is open; native code must not use their addresses after
 * {@link GgufFile#close()}.
 */
public final class GgufAccess {

    /** What {@code GgufFile} provides. */
    public interface Bridge {
        MemorySegment mapping(GgufFile file);

        MemorySegment tensorData(GgufFile file, GgufTensorInfo tensor);
    }

    private static volatile Bridge bridge;

    private GgufAccess() {
    }

    /** Called once, by {@code GgufFile}'s static initializer. */
    public static void register(Bridge b) {
        Objects.requireNonNull(b, "bridge");
        synchronized (GgufAccess.class) {
            if (bridge != null) {
                throw new IllegalStateException("GgufAccess bridge already registered");
            }
            bridge = b;
        }
    }

    /**
     * The whole GGUF, read-only: offset 0 is the GGUF's first byte (its magic).
     *
     * @throws io.github.ggml4j.ResourceClosedException if the file is closed
     */
    public static MemorySegment mapping(GgufFile file) {
        return bridge(file).mapping(file);
    }

    /**
     * One tensor's data, read-only, exactly {@link GgufTensorInfo#byteSize()} bytes.
     *
     * @throws IllegalArgumentException                 if the file has no tensor of that name
     * @throws io.github.ggml4j.ResourceClosedException if the file is closed
     */
    public static MemorySegment tensorData(GgufFile file, GgufTensorInfo tensor) {
        Objects.requireNonNull(tensor, "tensor");
        return bridge(file).tensorData(file, tensor);
    }

    private static Bridge bridge(GgufFile file) {
        Objects.requireNonNull(file, "file");
        // an instance exists, so GgufFile's static initializer has run and registered the bridge
        return bridge;
    }
}
