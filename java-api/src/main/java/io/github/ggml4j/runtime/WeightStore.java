package io.github.ggml4j.runtime;

import io.github.ggml4j.NativeException;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.nativ.GgmlContext;
import io.github.ggml4j.nativ.GgufAccess;
import io.github.ggml4j.nativ.NativeStatus;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A model's weights in ggml buffers. Plain CPU weights point into the file mapping (zero-copy); repacked and
 * GPU weights are copies. Owns the contexts and buffers; the GGUF file (and its mapping) must outlive it.
 */
public final class WeightStore implements AutoCloseable {

    private final GgufFile file;
    private final boolean mmap;
    private final MemorySegment cpuBuft;
    private final List<GgmlContext> contexts = new ArrayList<>();
    private final List<MemorySegment> buffers = new ArrayList<>();
    private long mappedBytes;
    private long copiedBytes;
    private final List<String> groupSummary = new ArrayList<>();

    private final GpuAssignment gpus;

    WeightStore(GgufFile file, boolean mmap, MemorySegment cpuBuft, GpuAssignment gpus) {
        this.file = file;
        this.mmap = mmap;
        this.cpuBuft = cpuBuft;
        this.gpus = gpus;
    }

    /** Which GPU each block and the head were placed on at load. */
    public GpuAssignment gpus() {
        return gpus;
    }

    /**
     * Locks the weights in RAM (llama.cpp's {@code --mlock}): the file mapping when weights are used from it,
     * and every host buffer of copies. A refusal by the OS (RLIMIT_MEMLOCK) is logged once, not thrown.
     */
    void lock() {
        List<MemorySegment> regions = new ArrayList<>();
        if (mappedBytes > 0) {
            regions.add(GgufAccess.mapping(file));
        }
        for (MemorySegment b : buffers) {
            if (GgmlLib.ggml_backend_buffer_is_host(b)) {
                long size = GgmlLib.ggml_backend_buffer_get_size(b);
                MemorySegment base = GgmlLib.ggml_backend_buffer_get_base(b);
                if (size > 0 && !base.equals(MemorySegment.NULL) && !(mappedBytes > 0 && inMapping(base))) {
                    regions.add(base.reinterpret(size));
                }
            }
        }
        io.github.ggml4j.nativ.MemoryLock.lock(regions);
    }

    private boolean inMapping(MemorySegment base) {
        MemorySegment m = GgufAccess.mapping(file);
        return base.address() >= m.address() && base.address() < m.address() + m.byteSize();
    }

    void addGroup(MemorySegment buft, GgmlContext ctx, List<WeightLoader.Bound> members) {
        contexts.add(ctx);
        if (mmap && buft.equals(cpuBuft)) {
            mapGroup(members);
            groupSummary.add(members.size() + " mapped (" + Devices.buftName(buft) + ")");
            return;
        }
        MemorySegment buf = GgmlLib.ggml_backend_alloc_ctx_tensors_from_buft(ctx.handle(), buft);
        if (buf.equals(MemorySegment.NULL)) {
            throw new NativeException("cannot allocate a " + Devices.buftName(buft) + " buffer for " + members.size() + " weights");
        }
        buffers.add(buf);
        GgmlLib.ggml_backend_buffer_set_usage(buf, GgmlLib.GGML_BACKEND_BUFFER_USAGE_WEIGHTS());
        for (WeightLoader.Bound b : members) {
            MemorySegment src = GgufAccess.tensorData(file, b.source());
            NativeStatus.check(GgmlLib.ggml4j_tensor_set(b.tensor(), src, 0, src.byteSize()),
                    "copying weight " + b.source().name());
            copiedBytes += src.byteSize();
        }
        groupSummary.add(members.size() + " in " + Devices.buftName(buft));
    }

    /** One CPU buffer over the whole mapping; each weight's data pointer is its place in the file. */
    private void mapGroup(List<WeightLoader.Bound> members) {
        MemorySegment mapping = GgufAccess.mapping(file);
        MemorySegment buf = GgmlLib.ggml_backend_cpu_buffer_from_ptr(MemorySegment.ofAddress(mapping.address()),
                mapping.byteSize());
        if (buf.equals(MemorySegment.NULL)) {
            throw new NativeException("cannot wrap the file mapping in a CPU buffer");
        }
        buffers.add(buf);
        GgmlLib.ggml_backend_buffer_set_usage(buf, GgmlLib.GGML_BACKEND_BUFFER_USAGE_WEIGHTS());
        for (WeightLoader.Bound b : members) {
            MemorySegment src = GgufAccess.tensorData(file, b.source());
            int st = GgmlLib.ggml_backend_tensor_alloc(buf, b.tensor(), MemorySegment.ofAddress(src.address()));
            if (st != GgmlLib.GGML_STATUS_SUCCESS()) {
                throw new NativeException("cannot map weight " + b.source().name() + " (status " + st + ")", st);
            }
            mappedBytes += src.byteSize();
        }
    }

    /** Bytes of weights used straight from the file mapping. */
    public long mappedBytes() {
        return mappedBytes;
    }

    /** Bytes of weights copied (repacked or uploaded). */
    public long copiedBytes() {
        return copiedBytes;
    }

    /** A line per buffer group, for logs and {@code info}. */
    public List<String> summary() {
        return List.copyOf(groupSummary);
    }

    @Override
    public void close() {
        for (MemorySegment b : buffers) {
            GgmlLib.ggml_backend_buffer_free(b);
        }
        buffers.clear();
        contexts.forEach(GgmlContext::close);
        contexts.clear();
    }
}
