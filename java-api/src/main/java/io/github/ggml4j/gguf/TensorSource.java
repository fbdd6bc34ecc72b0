package io.github.ggml4j.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;

/**
 * Supplies one tensor's bytes to a {@link GgufWriter} by writing them to a channel, so that tensors are
 * streamed to disk one after the other and a multi-gigabyte model never sits on the heap. The writer checks
 * that exactly the tensor's size in bytes arrives; a source that writes more or fewer fails the write.
 *
 * {@snippet :
 * TensorSource zeros = out -> {
 *     ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
 *     for (long left = size; left > 0; left -= chunk.limit()) {
 *         chunk.clear().limit((int) Math.min(chunk.capacity(), left));
 *         out.write(chunk);
 *     }
 * };
 * }
 */
@FunctionalInterface
public interface TensorSource {

    /**
     * Writes the tensor's bytes, in order, to {@code out}. Each {@code out.write} consumes the whole buffer.
     * Must not close {@code out}.
     */
    void writeTo(WritableByteChannel out) throws IOException;

    /** The bytes of an array (not copied: do not change the array until the file is written). */
    static TensorSource of(byte[] data) {
        Objects.requireNonNull(data, "data");
        return out -> out.write(ByteBuffer.wrap(data));
    }

    /** Floats as little-endian f32, encoded in chunks so no second full-size copy is made. */
    static TensorSource ofFloats(float[] data) {
        Objects.requireNonNull(data, "data");
        return out -> {
            ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < data.length; ) {
                chunk.clear();
                int n = Math.min(data.length - i, chunk.capacity() / Float.BYTES);
                chunk.asFloatBuffer().put(data, i, n);
                chunk.limit(n * Float.BYTES);
                out.write(chunk);
                i += n;
            }
        };
    }
}
