package io.github.ggml4j.nativ;

import io.github.ggml4j.NativeException;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.internal.ggml.ggml_init_params;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A ggml context holding tensor metadata only ({@code no_alloc}): data lives in backend buffers. One owner,
 * one arena: closing this frees the context.
 */
public final class GgmlContext implements AutoCloseable {

    private final Arena arena;
    private final MemorySegment ctx;

    private GgmlContext(long tensors, long graphNodes) {
        NativeLoader.ensureLoaded();
        long size = tensors * GgmlLib.ggml_tensor_overhead()
                + (graphNodes > 0 ? GgmlLib.ggml_graph_overhead_custom(graphNodes, false) : 0);
        this.arena = Arena.ofShared();
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment params = ggml_init_params.allocate(tmp);
            ggml_init_params.mem_size(params, size);
            ggml_init_params.mem_buffer(params, MemorySegment.NULL);
            ggml_init_params.no_alloc(params, true);
            MemorySegment c = GgmlLib.ggml_init(params);
            if (c.equals(MemorySegment.NULL)) {
                arena.close();
                throw new NativeException("ggml_init failed for a context of " + size + " bytes");
            }
            this.ctx = c.reinterpret(arena, GgmlLib::ggml_free);
        }
    }

    /** A context with room for {@code tensors} tensor headers. */
    public static GgmlContext forTensors(long tensors) {
        return new GgmlContext(tensors, 0);
    }

    /** A context with room for a graph of up to {@code graphNodes} nodes and their tensors. */
    public static GgmlContext forGraph(long graphNodes) {
        return new GgmlContext(graphNodes, graphNodes);
    }

    public MemorySegment handle() {
        return ctx;
    }

    /** A new tensor of the given type and shape ({@code ne[0]} first), not allocated. */
    public MemorySegment newTensor(int type, long... ne) {
        if (ne.length < 1 || ne.length > 4) {
            throw new IllegalArgumentException("1 to 4 dimensions, got " + ne.length);
        }
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment dims = tmp.allocateFrom(ValueLayout.JAVA_LONG, ne);
            MemorySegment t = GgmlLib.ggml_new_tensor(ctx, type, ne.length, dims);
            if (t.equals(MemorySegment.NULL)) {
                throw new NativeException("ggml context is full");
            }
            return t;
        }
    }

    /**
     * Forgets every tensor and graph in this context, keeping its memory: a graph rebuilt each step reuses one
     * context, as closing a context's shared arena waits for every thread (up to 19 ms under load).
     */
    public void reset() {
        GgmlLib.ggml_reset(ctx);
    }

    /** Sets a tensor's name (ggml truncates at 63 bytes). */
    public static void setName(MemorySegment tensor, String name) {
        try (Arena tmp = Arena.ofConfined()) {
            GgmlLib.ggml_set_name(tensor, tmp.allocateFrom(name));
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
