package io.github.ggml4j.runtime;

import io.github.ggml4j.NativeException;
import io.github.ggml4j.arch.GraphBuilder;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.memory.Memory;
import io.github.ggml4j.memory.MemorySpec;
import io.github.ggml4j.nativ.GgmlContext;
import io.github.ggml4j.nativ.NativeStatus;
import io.github.ggml4j.nativ.Tensors;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The native side of a model's engine: the backends (one CPU backend with its thread count, GPUs when layers
 * are offloaded), one scheduler, the memory, the current graph and the host staging buffers. Runs one
 * micro-batch at a time; only the engine's thread calls it.
 *
 * <p>The graph shape (tokens, attended cells, outputs) is the reuse key, so consecutive decode steps reuse one
 * graph and its allocation, as llama.cpp does. Compute buffers are reserved once for the largest graph.
 */
final class Compute implements AutoCloseable {

    private final LoadedModel model;
    private final HParams hp;
    private final EngineOptions options;
    private final Arena arena = Arena.ofShared();
    private GgmlContext graphContext; // every graph's tensors, reset for each build
    private final MemorySegment cpuBackend;
    private final List<MemorySegment> gpuBackends = new ArrayList<>();
    private final MemorySegment sched;
    private final Memory memory;
    private final MemorySegment cancelFlag;
    private final MemorySegment tokensHost;
    private final MemorySegment posHost;
    private final MemorySegment outIdsHost;
    private MemorySegment poolHost;
    private Arena outputArena;
    private MemorySegment outputHost;
    private int outputWidth;
    private int outputRows;
    private boolean outputCopied;
    private GraphBuilder current;
    private int graphBuilds;
    private int graphReuses;
    private boolean closed;
    private final boolean fullOffload;
    private final boolean pipelined;

    Compute(LoadedModel model, EngineOptions options) {
        this.model = model;
        this.hp = model.hparams();
        this.options = options;
        requireWholeBlocksPerHead(hp, options.kvType());
        Devices devices = Devices.get();
        MemorySegment sched0 = MemorySegment.NULL;
        boolean pipelined0 = false;
        MemorySegment cpu0 = MemorySegment.NULL;
        Memory memory0 = null;
        try {
            MemorySegment[] layerBufts = new MemorySegment[hp.nLayer()];
            GpuAssignment gpus = model.store().gpus(); // decided at load: each block's GPU, or the CPU
            for (int g : gpus.gpusInUse(model.placement().mainDevice())) {
                MemorySegment gpu = gpus.device(g);
                MemorySegment b = GgmlLib.ggml_backend_dev_init(gpu, MemorySegment.NULL);
                if (b.equals(MemorySegment.NULL)) {
                    throw new NativeException("cannot start the backend of " + Devices.name(gpu));
                }
                gpuBackends.add(b);
            }
            for (int il = 0; il < hp.nLayer(); il++) {
                int g = gpus.gpuOf(il, hp.nLayer());
                layerBufts[il] = g >= 0 ? GgmlLib.ggml_backend_dev_buffer_type(gpus.device(g)) : devices.cpuBuft();
            }
            cpu0 = GgmlLib.ggml_backend_dev_init(devices.cpu(), MemorySegment.NULL);
            if (cpu0.equals(MemorySegment.NULL)) {
                throw new NativeException("cannot start the CPU backend");
            }
            NativeStatus.check(GgmlLib.ggml4j_backend_set_n_threads(cpu0, options.threads()), "setting CPU threads");
            this.cancelFlag = arena.allocate(ValueLayout.JAVA_INT);
            NativeStatus.check(GgmlLib.ggml4j_backend_set_cancel_flag(cpu0, cancelFlag), "installing the cancel hook");
            for (MemorySegment g : gpuBackends) {
                // GPU backends have no cancel hook; the CPU part of the graph still honours it
                GgmlLib.ggml4j_backend_set_cancel_flag(g, cancelFlag);
            }
            memory0 = model.recipe().newMemory(spec(layerBufts));

            int nBackends = gpuBackends.size() + 1;
            MemorySegment backends = arena.allocate(ValueLayout.ADDRESS, nBackends);
            for (int i = 0; i < gpuBackends.size(); i++) {
                backends.setAtIndex(ValueLayout.ADDRESS, i, gpuBackends.get(i));
            }
            backends.setAtIndex(ValueLayout.ADDRESS, nBackends - 1, cpu0);
            pipelined0 = pipelined(gpus, hp.nLayer(), model.placement().mainDevice());
            sched0 = GgmlLib.ggml_backend_sched_new(backends, MemorySegment.NULL, nBackends, model.maxGraphNodes(),
                    pipelined0, true);
            if (sched0.equals(MemorySegment.NULL)) {
                throw new NativeException("cannot create the backend scheduler");
            }
        } catch (RuntimeException e) {
            if (memory0 != null) {
                memory0.close();
            }
            if (!sched0.equals(MemorySegment.NULL)) {
                GgmlLib.ggml_backend_sched_free(sched0);
            }
            if (!cpu0.equals(MemorySegment.NULL)) {
                GgmlLib.ggml_backend_free(cpu0);
            }
            gpuBackends.forEach(GgmlLib::ggml_backend_free);
            arena.close();
            throw e;
        }
        this.fullOffload = fullOffload(model.store().gpus(), hp.nLayer());
        this.pipelined = pipelined0;
        this.cpuBackend = cpu0;
        this.memory = memory0;
        this.sched = sched0;
        int ub = options.ubatchSize();
        tokensHost = arena.allocate(4L * ub, 64);
        posHost = arena.allocate(4L * ub, 64);
        outIdsHost = arena.allocate(4L * ub, 64);
        try {
            reserve();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The memory this model's recipe keeps, sized by the engine options. */
    MemorySpec spec(MemorySegment[] layerBufts) {
        return new MemorySpec(hp, options.cells(), options.ubatchSize(), options.kvType(), options.flashAttention(),
                layerBufts, options.slidingWindow(), options.rolling(), options.kvStreams());
    }

    /**
     * A quantized cache is read per head, so each head must be whole blocks; otherwise the attention views cut
     * blocks apart and produce NaN (llama.cpp refuses such a context the same way).
     */
    static void requireWholeBlocksPerHead(HParams hp, GgmlType kvType) {
        int block = kvType.blockSize();
        if (hp.nEmbdHeadK() % block != 0 || hp.nEmbdHeadV() % block != 0) {
            throw new IllegalArgumentException("a " + kvType.ggmlName() + " KV cache stores blocks of " + block
                    + " values, which do not divide this model's head width (" + hp.nEmbdHeadK() + " for K, "
                    + hp.nEmbdHeadV() + " for V); use f16 or f32");
        }
    }

    /** Sizes the compute buffers once for the largest graph, so decode steps never reallocate them. */
    private void reserve() {
        int ub = options.ubatchSize();
        Memory.Slots worst = memory.worstCase(ub);
        try (GraphBuilder g = build(new GraphBuilder.Shape(ub, worst.attended(), ub, options.flashAttention(),
                worst.layout()))) {
            if (!GgmlLib.ggml_backend_sched_reserve(sched, g.graph())) {
                throw new NativeException("cannot allocate compute buffers (" + memory.capacity() + " cells, micro-batch "
                        + ub + ")");
            }
        }
        GgmlLib.ggml_backend_sched_reset(sched);
    }

    private GraphBuilder build(GraphBuilder.Shape shape) {
        if (graphContext == null) {
            graphContext = GgmlContext.forGraph(model.maxGraphNodes());
        }
        GraphBuilder g = new GraphBuilder(graphContext, model.maxGraphNodes(), hp, memory, shape);
        try {
            g.finish(model.recipe().build(g, model.weights()));
            if (!gpuBackends.isEmpty() && (shape.nTokens() < 32 || fullOffload)) {
                g.forEachWeightedNorm(this::placeWithWeight);
            }
            return g;
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
    }

    /**
     * llama.cpp's rule for a pipeline-parallel scheduler (llama_context): more than one offload device, every
     * block and the head offloaded, and every device computing asynchronously with events. Then each split's
     * inputs get copies of their own and the scheduler waits on events instead of synchronizing the backend:
     * over RPC that is one round trip less per copied input (5 per server and token on a two-server split).
     */
    static boolean pipelined(GpuAssignment gpus, int nLayer, int mainDevice) {
        int[] inUse = gpus.gpusInUse(mainDevice);
        if (inUse.length < 2 || !fullOffload(gpus, nLayer)) {
            return false;
        }
        for (int g : inUse) {
            if (!Devices.asyncWithEvents(gpus.device(g))) {
                return false;
            }
        }
        return true;
    }

    private static boolean fullOffload(GpuAssignment gpus, int nLayer) {
        for (int il = 0; il < nLayer; il++) {
            if (gpus.gpuOf(il, nLayer) < 0) {
                return false;
            }
        }
        return gpus.gpuOf(io.github.ggml4j.arch.WeightSource.OUTPUT, nLayer) >= 0;
    }

    /**
     * Runs {@code node} on the backend of the device that holds {@code weight}, when that backend can. As in
     * llama.cpp, only for small batches or a fully offloaded model: a large batch of a CPU block may be better
     * off on a GPU, which the scheduler decides for itself.
     */
    private void placeWithWeight(MemorySegment node, MemorySegment weight) {
        MemorySegment buffer = Tensors.buffer(weight);
        if (buffer.equals(MemorySegment.NULL)) {
            return;
        }
        MemorySegment device = GgmlLib.ggml_backend_buft_get_device(GgmlLib.ggml_backend_buffer_get_type(buffer));
        for (MemorySegment b : gpuBackends) {
            if (GgmlLib.ggml_backend_get_device(b).equals(device) && GgmlLib.ggml_backend_supports_op(b, node)) {
                GgmlLib.ggml_backend_sched_set_tensor_backend(sched, node, b);
                return;
            }
        }
    }

    Memory memory() {
        return memory;
    }

    /** Whether the scheduler pipelines its splits ({@link #pipelined(GpuAssignment, int, int)}). */
    boolean pipelined() {
        return pipelined;
    }

    int graphBuilds() {
        return graphBuilds;
    }

    int graphReuses() {
        return graphReuses;
    }

    /** Makes a running compute stop at its next node boundary; cleared by {@link #clearCancel()}. */
    void requestCancel() {
        if (!closed) {
            cancelFlag.set(ValueLayout.JAVA_INT, 0, 1);
        }
    }

    void clearCancel() {
        cancelFlag.set(ValueLayout.JAVA_INT, 0, 0);
    }

    /**
     * Computes a placed micro-batch. Afterwards {@link #output} reads its output rows (in batch order).
     *
     * @throws io.github.ggml4j.CancelledException when {@link #requestCancel} stopped it
     */
    void run(Batch batch, Memory.Slots slots) {
        int n = batch.size();
        int nOut = batch.outputCount();
        GraphBuilder.Shape shape = new GraphBuilder.Shape(n, slots.attended(), nOut, options.flashAttention(),
                slots.layout());
        if (current != null && current.shape().equals(shape)) {
            graphReuses++;
        } else {
            if (current != null) {
                current.close();
                current = null;
            }
            GgmlLib.ggml_backend_sched_reset(sched);
            current = build(shape);
            graphBuilds++;
            if (!GgmlLib.ggml_backend_sched_alloc_graph(sched, current.graph())) {
                current.close();
                current = null;
                throw new NativeException("cannot allocate the graph for " + n + " tokens");
            }
        }
        fillInputs(batch, slots);
        NativeStatus.check(GgmlLib.ggml4j_sched_compute(sched, current.graph()), "decoding " + n + " tokens");
        // outputs are read when asked for: a row a sequence keeps goes straight from the tensor into its buffer
        outputRows = nOut;
        outputCopied = false;
        if (nOut > 0) {
            outputWidth = (int) Tensors.ne(current.logits(), 0);
        }
    }

    /** The shared output buffer grows to the most rows a step has asked for, never per session. */
    private void ensureOutputHost(int width, int rows) {
        long bytes = 4L * width * rows;
        if (outputHost == null || outputHost.byteSize() < bytes) {
            if (outputArena != null) {
                outputArena.close();
            }
            outputArena = Arena.ofShared();
            outputHost = outputArena.allocate(bytes, 64);
        }
    }

    /** Copies output row {@code row} of the last run into {@code dst}. */
    void output(int row, float[] dst) {
        checkRow(row);
        if (!outputCopied) {
            ensureOutputHost(outputWidth, outputRows);
            NativeStatus.check(GgmlLib.ggml4j_tensor_get(current.logits(), outputHost, 0,
                    4L * outputWidth * outputRows), "reading outputs");
            outputCopied = true;
        }
        MemorySegment.copy(outputHost, ValueLayout.JAVA_FLOAT, 4L * row * outputWidth, dst, 0, outputWidth);
    }

    /** Copies output row {@code row} of the last run into {@code seq}'s native last-output buffer. */
    void output(int row, Sequence seq) {
        checkRow(row);
        MemorySegment dst = seq.outputTarget(outputWidth);
        NativeStatus.check(GgmlLib.ggml4j_tensor_get(current.logits(), dst, 4L * row * outputWidth,
                4L * outputWidth), "reading outputs");
        seq.outputStored();
    }

    private void checkRow(int row) {
        if (row < 0 || row >= outputRows || current == null) {
            throw new IllegalStateException("no output row " + row + " in the last step (" + outputRows + " rows)");
        }
    }

    /** Width of an output row (n_vocab for logits). */
    int outputWidth() {
        return outputWidth;
    }

    private void fillInputs(Batch batch, Memory.Slots slots) {
        int n = batch.size();
        for (int i = 0; i < n; i++) {
            tokensHost.setAtIndex(ValueLayout.JAVA_INT, i, batch.token(i));
            posHost.setAtIndex(ValueLayout.JAVA_INT, i, batch.position(i));
        }
        set(current.tokensInput(), tokensHost, 4L * n);
        if (allocated(current.positionsInput())) { // a recurrent graph reads no positions
            set(current.positionsInput(), posHost, 4L * n);
        }
        memory.fillInputs(current.memoryInputs(), batch, slots, model.recipe().causal());
        fillPooling(batch);
        if (current.outIdsInput() != null && allocated(current.outIdsInput())) { // a pooled graph reads all rows
            int o = 0;
            for (int i = 0; i < n; i++) {
                if (batch.output(i)) {
                    outIdsHost.setAtIndex(ValueLayout.JAVA_INT, o++, i);
                }
            }
            set(current.outIdsInput(), outIdsHost, 4L * o);
        }
    }

    /**
     * Pooling inputs, per output row (a sequence, at its output token): the mean's weights 1/n over the
     * sequence's tokens, or the index of its first or last token. Each sequence is whole in the batch.
     */
    private void fillPooling(Batch batch) {
        MemorySegment mean = current.meanInput();
        MemorySegment rows = current.poolRowsInput();
        if (mean == null && rows == null) {
            return;
        }
        int n = batch.size();
        int nOut = batch.outputCount();
        if (poolHost == null) { // once, for the largest batch: as many outputs as tokens
            poolHost = arena.allocate(4L * options.ubatchSize() * options.ubatchSize(), 64);
        }
        int o = 0;
        for (int i = 0; i < n; i++) {
            if (!batch.output(i)) {
                continue;
            }
            int seq = batch.seq(i);
            int first = i;
            while (first > 0 && batch.seq(first - 1) == seq) {
                first--;
            }
            int last = i;
            while (last + 1 < n && batch.seq(last + 1) == seq) {
                last++;
            }
            if (mean != null) {
                float w = 1.0f / (last - first + 1);
                long base = 4L * o * n;
                poolHost.asSlice(base, 4L * n).fill((byte) 0);
                for (int j = first; j <= last; j++) {
                    poolHost.set(ValueLayout.JAVA_FLOAT, base + 4L * j, w);
                }
            } else {
                poolHost.setAtIndex(ValueLayout.JAVA_INT, o,
                        current.rowPooling() == io.github.ggml4j.model.Pooling.LAST ? last : first);
            }
            o++;
        }
        set(mean != null ? mean : rows, poolHost, mean != null ? 4L * n * nOut : 4L * nOut);
    }

    private static boolean allocated(MemorySegment tensor) {
        return !Tensors.buffer(tensor).equals(MemorySegment.NULL);
    }

    private static void set(MemorySegment tensor, MemorySegment host, long bytes) {
        NativeStatus.check(GgmlLib.ggml4j_tensor_set(tensor, host, 0, bytes), "setting a graph input");
    }

    /** Bytes of the compute buffers the scheduler reserved, over all backends. */
    long computeBytes() {
        long total = 0;
        total += GgmlLib.ggml_backend_sched_get_buffer_size(sched, cpuBackend);
        for (MemorySegment g : gpuBackends) {
            total += GgmlLib.ggml_backend_sched_get_buffer_size(sched, g);
        }
        return total;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (current != null) {
            current.close();
            current = null;
        }
        if (sched != null) {
            GgmlLib.ggml_backend_sched_free(sched);
        }
        if (graphContext != null) {
            graphContext.close();
        }
        if (memory != null) {
            memory.close();
        }
        GgmlLib.ggml_backend_free(cpuBackend);
        gpuBackends.forEach(GgmlLib::ggml_backend_free);
        if (outputArena != null) {
            outputArena.close();
        }
        arena.close();
    }
}
