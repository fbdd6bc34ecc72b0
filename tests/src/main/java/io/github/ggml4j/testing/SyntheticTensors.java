package io.github.ggml4j.testing;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * What the synthetic model writers share: random tensors generated row chunk by row chunk from a stream of their
 * own (seed and name), and the cache of written files under {@code target/synthetic-models}.
 */
public final class SyntheticTensors {

    /** What a tensor holds: a matrix (normal noise), a norm weight (around 1) or a bias (around 0). */
    public enum Kind { MATRIX, NORM, BIAS }

    /** A tensor of a synthetic model: name, storage type, ggml shape (row length first) and how it is drawn. */
    public record Tensor(String name, GgmlType type, long[] shape, Kind kind) {
    }

    private static final long CHUNK_VALUES = 1 << 20;

    private SyntheticTensors() {
    }

    /**
     * Writes one tensor of {@code shape} (ggml order) to {@code out}, encoded as {@code type}: matrices with
     * standard deviation {@code std}, norms 1 ± 0.05, biases with standard deviation {@code biasStd}.
     */
    public static void stream(WritableByteChannel out, long seed, String name, GgmlType type, long[] shape, Kind kind,
                              double std, double biasStd) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ name.hashCode());
        long rowLength = shape[0];
        long rows = 1;
        for (int i = 1; i < shape.length; i++) {
            rows *= shape[i];
        }
        long perChunk = Math.max(1, CHUNK_VALUES / rowLength);
        for (long r = 0; r < rows; r += perChunk) {
            int n = (int) Math.min(perChunk, rows - r);
            float[] v = new float[Math.toIntExact(n * rowLength)];
            for (int i = 0; i < v.length; i++) {
                double x = rnd.nextGaussian();
                v[i] = (float) switch (kind) {
                    case MATRIX -> x * std;
                    case NORM -> 1 + 0.05 * x;
                    case BIAS -> biasStd * x;
                };
            }
            ByteBuffer b = ByteBuffer.wrap(SyntheticGguf.encode(type, v, new long[] {rowLength, n}));
            while (b.hasRemaining()) {
                out.write(b);
            }
        }
    }

    /** Adds each tensor to {@code w}, drawn by {@link #stream} when the writer writes it. */
    public static void addAll(GgufWriter w, List<Tensor> tensors, long seed, double std, double biasStd) {
        for (Tensor t : tensors) {
            w.addTensor(t.name(), t.type(), t.shape(),
                    out -> stream(out, seed, t.name(), t.type(), t.shape(), t.kind(), std, biasStd));
        }
    }

    /**
     * The file {@code stem-HASH.gguf} under the synthetic-model directory, where HASH is of {@code key} (a spec's
     * {@code toString()}), written once with {@code write} (atomically) and then reused.
     */
    public static Path cached(String stem, String key, Consumer<Path> write) {
        synchronized (SyntheticTensors.class) {
            long h = 1125899906842597L;
            for (int i = 0; i < key.length(); i++) {
                h = 31 * h + key.charAt(i);
            }
            Path dir = Path.of(System.getProperty("ggml4j.synthetic.dir", "target/synthetic-models"));
            Path file = dir.resolve(stem + "-" + HexFormat.of().toHexDigits(h).substring(0, 10) + ".gguf");
            if (!Files.isRegularFile(file)) {
                try {
                    Files.createDirectories(dir);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                write.accept(file);
            }
            return file;
        }
    }
}
