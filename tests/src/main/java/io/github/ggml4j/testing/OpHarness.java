package io.github.ggml4j.testing;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.internal.ggml.ggml_init_params;
import io.github.ggml4j.internal.ggml.ggml_tensor;
import io.github.ggml4j.nativ.NativeLoader;
import io.github.ggml4j.nativ.NativeStatus;
import io.github.ggml4j.nativ.Tensors;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds and runs small ggml graphs on the CPU backend, for op tests.
 *
 * <p>Tensors are created in a no_alloc ggml context; data handed in is staged in Java and uploaded once
 * the whole graph is allocated in one backend buffer. {@link #compute} can run the same graph repeatedly
 * with different thread counts.
 *
 * {@snippet :
 * try (OpHarness h = new OpHarness()) {
 *     MemorySegment a = h.f32(new float[] {1, 2, 3, 4}, 4);
 *     MemorySegment b = h.f32(new float[] {1, 1, 1, 1}, 4);
 *     float[] sum = h.compute(GgmlLib.ggml_add(h.ctx(), a, b), 2);
 * }
 * }
 */
public final class OpHarness implements AutoCloseable {

    private record Staged(MemorySegment tensor, byte[] bytes) {
    }

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment ctx;
    private final MemorySegment backend;
    private final List<Staged> staged = new ArrayList<>();
    private MemorySegment buffer = MemorySegment.NULL;
    private MemorySegment graph;
    private MemorySegment graphOutput;
    private boolean closed;

    /** A harness for graphs of up to 64 tensors. */
    public OpHarness() {
        this(64);
    }

    public OpHarness(int maxTensors) {
        NativeLoader.ensureLoaded();
        try {
            MemorySegment params = ggml_init_params.allocate(arena);
            // metadata only: tensor data lives in the backend buffer
            ggml_init_params.mem_size(params, GgmlLib.ggml_tensor_overhead() * maxTensors + GgmlLib.ggml_graph_overhead());
            ggml_init_params.mem_buffer(params, MemorySegment.NULL);
            ggml_init_params.no_alloc(params, true);
            ctx = GgmlLib.ggml_init(params);
            if (ctx.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("ggml_init failed");
            }
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        backend = GgmlLib.ggml_backend_init_by_type(GgmlLib.GGML_BACKEND_DEVICE_TYPE_CPU(), MemorySegment.NULL);
        if (backend.equals(MemorySegment.NULL)) {
            GgmlLib.ggml_free(ctx);
            arena.close();
            throw new IllegalStateException("no CPU backend");
        }
    }

    /** The ggml context to build ops in. */
    public MemorySegment ctx() {
        return ctx;
    }

    /** A new input tensor of {@code type} and shape {@code ne} (innermost first); give it data with {@link #set}. */
    public MemorySegment tensor(GgmlType type, long... ne) {
        checkOpen();
        if (graph != null) {
            throw new IllegalStateException("graph already allocated");
        }
        if (ne.length < 1 || ne.length > 4) {
            throw new IllegalArgumentException("1 to 4 dimensions, got " + ne.length);
        }
        MemorySegment dims = arena.allocateFrom(ValueLayout.JAVA_LONG, ne);
        MemorySegment t = GgmlLib.ggml_new_tensor(ctx, type.id(), ne.length, dims);
        if (t.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("ggml_new_tensor failed");
        }
        GgmlLib.ggml_set_input(t);
        return t;
    }

    /** An F32 tensor holding {@code data}. */
    public MemorySegment f32(float[] data, long... ne) {
        MemorySegment t = tensor(GgmlType.F32, ne);
        ByteBuffer b = order(data.length * 4);
        b.asFloatBuffer().put(data);
        set(t, b.array());
        return t;
    }

    /** An F16 tensor holding {@code data} rounded to half precision (round to nearest even, as ggml does). */
    public MemorySegment f16(float[] data, long... ne) {
        MemorySegment t = tensor(GgmlType.F16, ne);
        ByteBuffer b = order(data.length * 2);
        for (float v : data) {
            b.putShort(Float.floatToFloat16(v));
        }
        set(t, b.array());
        return t;
    }

    /** An I32 tensor (row indices, positions). */
    public MemorySegment i32(int[] data, long... ne) {
        MemorySegment t = tensor(GgmlType.I32, ne);
        ByteBuffer b = order(data.length * 4);
        b.asIntBuffer().put(data);
        set(t, b.array());
        return t;
    }

    /** A tensor of any type from its raw bytes, e.g. quantized blocks from {@code TensorQuantizer}. */
    public MemorySegment raw(GgmlType type, byte[] data, long... ne) {
        MemorySegment t = tensor(type, ne);
        set(t, data);
        return t;
    }

    /** Stages the raw bytes of an input tensor; uploaded when the graph is allocated, or at once after. */
    public void set(MemorySegment tensor, byte[] bytes) {
        checkOpen();
        long nbytes = GgmlLib.ggml_nbytes(tensor);
        if (bytes.length != nbytes) {
            throw new IllegalArgumentException("tensor holds " + nbytes + " bytes, got " + bytes.length);
        }
        if (graph == null) {
            staged.add(new Staged(tensor, bytes.clone()));
        } else {
            upload(tensor, bytes);
        }
    }

    /**
     * Computes the graph ending in {@code output} with {@code threads} CPU threads and returns the output as
     * floats. The first call builds and allocates the graph; later calls must pass the same output. The
     * output is filled with NaN first, so a run that leaves it unwritten cannot pass for the previous one.
     */
    public float[] compute(MemorySegment output, int threads) {
        prepare(output, threads);
        poison(output);
        graphCompute();
        return read(output);
    }

    /**
     * Computes the graph ending in {@code output} like {@link #compute} but neither poisons nor reads the
     * output: only ggml's work, for benchmarks.
     */
    public void run(MemorySegment output, int threads) {
        prepare(output, threads);
        graphCompute();
    }

    private void prepare(MemorySegment output, int threads) {
        checkOpen();
        if (graph == null) {
            allocate(output);
        } else if (!graphOutput.equals(output)) {
            throw new IllegalStateException("the graph was built for another output tensor");
        }
        NativeStatus.check(GgmlLib.ggml4j_backend_set_n_threads(backend, threads), "set_n_threads(" + threads + ")");
    }

    private void graphCompute() {
        int st = GgmlLib.ggml_backend_graph_compute(backend, graph);
        if (st != GgmlLib.GGML_STATUS_SUCCESS()) {
            throw new IllegalStateException("ggml_backend_graph_compute returned " + st);
        }
    }

    /** Shape of a tensor, innermost first, 4 entries. */
    public static long[] shape(MemorySegment tensor) {
        long[] ne = new long[4];
        for (int i = 0; i < 4; i++) {
            ne[i] = Tensors.ne(tensor, i);
        }
        return ne;
    }

    private void allocate(MemorySegment output) {
        GgmlLib.ggml_set_output(output);
        graph = GgmlLib.ggml_new_graph(ctx);
        GgmlLib.ggml_build_forward_expand(graph, output);
        graphOutput = output;
        buffer = GgmlLib.ggml_backend_alloc_ctx_tensors(ctx, backend);
        if (buffer.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("ggml_backend_alloc_ctx_tensors failed");
        }
        for (Staged s : staged) {
            upload(s.tensor(), s.bytes());
        }
        staged.clear();
    }

    private static void poison(MemorySegment tensor) {
        if (!ggml_tensor.view_src(tensor).equals(MemorySegment.NULL)) {
            return; // a view shares its data with a source that may be an input
        }
        byte[] nan = new byte[Math.toIntExact(GgmlLib.ggml_nbytes(tensor))];
        java.util.Arrays.fill(nan, (byte) 0xFF); // all-ones is a NaN in F32 and F16
        upload(tensor, nan);
    }

    private static void upload(MemorySegment tensor, byte[] bytes) {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment src = tmp.allocateFrom(ValueLayout.JAVA_BYTE, bytes);
            NativeStatus.check(GgmlLib.ggml4j_tensor_set(tensor, src, 0, bytes.length), "tensor_set");
        }
    }

    private static float[] read(MemorySegment tensor) {
        if (!GgmlLib.ggml_is_contiguous(tensor)) {
            throw new IllegalStateException("output is not contiguous");
        }
        int type = ggml_tensor.type(tensor);
        int n = Math.toIntExact(GgmlLib.ggml_nelements(tensor));
        long nbytes = GgmlLib.ggml_nbytes(tensor);
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment dst = tmp.allocate(Math.max(1, nbytes), 16);
            NativeStatus.check(GgmlLib.ggml4j_tensor_get(tensor, dst, 0, nbytes), "tensor_get");
            float[] out = new float[n];
            if (type == GgmlType.F32.id()) {
                MemorySegment.copy(dst, ValueLayout.JAVA_FLOAT, 0, out, 0, n);
            } else if (type == GgmlType.F16.id()) {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.float16ToFloat(dst.getAtIndex(ValueLayout.JAVA_SHORT, i));
                }
            } else {
                throw new IllegalStateException("cannot read output of ggml type " + type + " as floats");
            }
            return out;
        }
    }

    private static ByteBuffer order(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("harness closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!buffer.equals(MemorySegment.NULL)) {
            GgmlLib.ggml_backend_buffer_free(buffer);
        }
        GgmlLib.ggml_free(ctx);
        GgmlLib.ggml_backend_free(backend);
        arena.close();
    }
}
