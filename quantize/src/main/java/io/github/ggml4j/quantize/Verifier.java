package io.github.ggml4j.quantize;

import io.github.ggml4j.QuantizeException;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufTensorInfo;
import io.github.ggml4j.nativ.GgufAccess;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Re-reads a quantized file and measures each tensor against the file it was made from: the normalized mean
 * squared error {@code Σ(q − x)² / Σx²} of the dequantized values (0 for tensors copied byte for byte, which are
 * compared as bytes).
 *
 * {@snippet :
 * for (Verifier.TensorError e : Verifier.verify(Path.of("f16.gguf"), Path.of("q4_k_m.gguf"), 4)) {
 *     System.out.printf("%-32s %-6s %.3e%n", e.name(), e.to().ggmlName(), e.nmse());
 * }
 * }
 */
public final class Verifier {

    /** Largest NMSE accepted by {@link #check}: a tensor this far off carries almost nothing of the input. */
    public static final double MAX_NMSE = 0.5;

    private static final long SLAB_VALUES = 1 << 22;

    /**
     * One tensor's error.
     *
     * @param name the tensor
     * @param from its input type
     * @param to   its output type
     * @param nmse normalized mean squared error, 0 for exact copies
     */
    public record TensorError(String name, GgmlType from, GgmlType to, double nmse) {
        public TensorError {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
        }
    }

    private Verifier() {
    }

    /**
     * Measures every tensor of {@code quantized} against {@code original}.
     *
     * @throws QuantizeException if the files do not hold the same tensors in the same shapes, or a copied tensor's
     *                           bytes differ
     */
    public static List<TensorError> verify(Path original, Path quantized, int threads) {
        Kernels.ensureLoaded();
        int n = Math.max(1, threads);
        ExecutorService pool = n < 2 ? null : Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, "ggml4j-verify");
            t.setDaemon(true);
            return t;
        });
        try (GgufFile a = GgufFile.open(original); GgufFile b = GgufFile.open(quantized)) {
            if (a.tensors().size() != b.tensors().size()) {
                throw new QuantizeException(quantized + " has " + b.tensors().size() + " tensors, " + original
                        + " has " + a.tensors().size());
            }
            List<TensorError> out = new ArrayList<>();
            for (GgufTensorInfo q : b.tensors()) {
                GgufTensorInfo x = a.tensor(q.name()).orElseThrow(() -> new QuantizeException(
                        "tensor " + q.name() + " of " + quantized + " is not in " + original));
                if (!Arrays.equals(trimmed(x.shape()), trimmed(q.shape()))) {
                    throw new QuantizeException("tensor " + q.name() + " has shape " + Arrays.toString(q.shape())
                            + ", in the original " + Arrays.toString(x.shape()));
                }
                out.add(new TensorError(q.name(), x.type(), q.type(), nmse(a, x, b, q, pool, n)));
            }
            return out;
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }

    /**
     * As {@link #verify}, then fails if any tensor's NMSE is not finite or above {@link #MAX_NMSE}.
     *
     * @throws QuantizeException naming the worst tensor
     */
    public static List<TensorError> check(Path original, Path quantized, int threads) {
        List<TensorError> errors = verify(original, quantized, threads);
        for (TensorError e : errors) {
            if (!(e.nmse() <= MAX_NMSE)) {
                throw new QuantizeException("verification failed: tensor " + e.name() + " (" + e.to().ggmlName()
                        + ") has NMSE " + e.nmse() + " against the input");
            }
        }
        return errors;
    }

    /** The shape without trailing dimensions of 1 (which ggml's writer drops). */
    private static long[] trimmed(long[] shape) {
        return Arrays.copyOf(shape, QuantizePlanner.nDims(shape));
    }

    private static double nmse(GgufFile a, GgufTensorInfo x, GgufFile b, GgufTensorInfo q, ExecutorService pool,
                               int threads) {
        MemorySegment xs = GgufAccess.tensorData(a, x);
        MemorySegment qs = GgufAccess.tensorData(b, q);
        if (x.type() == q.type()) {
            if (xs.mismatch(qs) >= 0) {
                throw new QuantizeException("tensor " + q.name() + " was copied as " + q.type().ggmlName()
                        + " but its bytes differ from the input's");
            }
            return 0;
        }
        for (GgmlType t : new GgmlType[] {x.type(), q.type()}) {
            if (!Kernels.canConvertToFloat(t)) {
                throw new QuantizeException("cannot convert " + t.ggmlName() + " to float to verify " + q.name());
            }
        }
        long ne0 = x.shape()[0];
        long rows = x.elementCount() / ne0;
        long slab = Math.max(1, SLAB_VALUES / ne0);
        double diff = 0;
        double ref = 0;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment fx = arena.allocate(Math.min(rows, slab) * ne0 * Float.BYTES, 64);
            MemorySegment fq = arena.allocate(Math.min(rows, slab) * ne0 * Float.BYTES, 64);
            for (long r = 0; r < rows; r += slab) {
                long n = Math.min(slab, rows - r);
                long values = n * ne0;
                Kernels.toFloat(x.type(), xs.asSlice(r * x.type().rowSize(ne0), n * x.type().rowSize(ne0)), fx,
                        values, pool, threads);
                Kernels.toFloat(q.type(), qs.asSlice(r * q.type().rowSize(ne0), n * q.type().rowSize(ne0)), fq,
                        values, pool, threads);
                for (long i = 0; i < values; i++) {
                    double v = fx.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    double d = fq.getAtIndex(ValueLayout.JAVA_FLOAT, i) - v;
                    diff += d * d;
                    ref += v * v;
                }
            }
        }
        return ref == 0 ? (diff == 0 ? 0 : Double.POSITIVE_INFINITY) : diff / ref;
    }
}
