package io.github.ggml4j.runtime;

import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.NativeException;
import io.github.ggml4j.arch.GraphBuilder;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.memory.KvCache;
import io.github.ggml4j.nativ.NativeStatus;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs forward passes for one session: owns the backends (CPU with its thread count, GPUs when layers are
 * offloaded), the scheduler, the KV cache, the host staging buffers and the current graph. Not thread-safe;
 * the session serializes calls.
 *
 * <p>A batch is split into micro-batches; each is one graph whose shape (tokens, attended cells, outputs)
 * is the reuse key, so consecutive decode steps reuse one graph and its allocation, as llama.cpp does.
 */
public final class Decoder implements AutoCloseable {

    /**
     * @param contextSize    positions the session can hold
     * @param ubatchSize     tokens per graph (micro-batch)
     * @param threads        CPU threads for ggml
     * @param flashAttention use ggml_flash_attn_ext (V cache not transposed)
     * @param kvType         element type of the KV cache (F16, F32, Q8_0, Q4_0)
     */
    public record Options(int contextSize, int ubatchSize, int threads, boolean flashAttention, GgmlType kvType) {
    }

    private final LoadedModel model;
    private final HParams hp;
    private final Options options;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment cpuBackend;
    private final List<MemorySegment> gpuBackends = new ArrayList<>();
    private final MemorySegment sched;
    private final KvCache cache;
    private final MemorySegment cancelFlag;
    private final MemorySegment tokensHost;
    private final MemorySegment posHost;
    private final MemorySegment kIdxHost;
    private final MemorySegment vIdxHost;
    private final MemorySegment maskHost;
    private final MemorySegment outIdsHost;
    private final MemorySegment logitsHost;
    private GraphBuilder current;
    private int graphBuilds;
    private int graphReuses;
    private volatile boolean closed;

    public Decoder(LoadedModel model, Options options) {
        this.model = model;
        this.hp = model.hparams();
        this.options = options;
        requireWholeBlocksPerHead(hp, options.kvType());
        Devices devices = Devices.get();
        MemorySegment sched0 = MemorySegment.NULL;
        MemorySegment cpu0 = MemorySegment.NULL;
        KvCache cache0 = null;
        try {
            MemorySegment[] layerBufts = new MemorySegment[hp.nLayer()];
            MemorySegment gpu = null;
            if (model.placement().gpuLayers() > 0 && !devices.gpus().isEmpty()) {
                gpu = devices.gpus().get(0);
                MemorySegment b = GgmlLib.ggml_backend_dev_init(gpu, MemorySegment.NULL);
                if (b.equals(MemorySegment.NULL)) {
                    throw new NativeException("cannot start the backend of " + Devices.name(gpu));
                }
                gpuBackends.add(b);
            }
            for (int il = 0; il < hp.nLayer(); il++) {
                layerBufts[il] = gpu != null && model.placement().offloads(il, hp.nLayer())
                        ? GgmlLib.ggml_backend_dev_buffer_type(gpu) : devices.cpuBuft();
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

            cache0 = new KvCache(hp, options.contextSize(), options.kvType().id(), options.kvType().id(), layerBufts);

            int nBackends = gpuBackends.size() + 1;
            MemorySegment backends = arena.allocate(ValueLayout.ADDRESS, nBackends);
            for (int i = 0; i < gpuBackends.size(); i++) {
                backends.setAtIndex(ValueLayout.ADDRESS, i, gpuBackends.get(i));
            }
            backends.setAtIndex(ValueLayout.ADDRESS, nBackends - 1, cpu0);
            sched0 = GgmlLib.ggml_backend_sched_new(backends, MemorySegment.NULL, nBackends, model.maxGraphNodes(),
                    false, true);
            if (sched0.equals(MemorySegment.NULL)) {
                throw new NativeException("cannot create the backend scheduler");
            }
        } catch (RuntimeException e) {
            if (cache0 != null) {
                cache0.close();
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
        this.cpuBackend = cpu0;
        this.cache = cache0;
        this.sched = sched0;

        int ub = options.ubatchSize();
        tokensHost = arena.allocate(4L * ub, 64);
        posHost = arena.allocate(4L * ub, 64);
        kIdxHost = arena.allocate(8L * ub, 64);
        vIdxHost = arena.allocate(8L * ub * (options.flashAttention() ? 1 : hp.nEmbdVGqa()), 64);
        maskHost = arena.allocate(4L * ub * cache.size(), 64);
        outIdsHost = arena.allocate(4L * ub, 64);
        logitsHost = arena.allocate(4L * hp.nVocab() * ub, 64);
        try {
            reserve();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * A quantized cache is read per head, so each head must be whole blocks; otherwise the attention views cut
     * blocks apart and produce NaN (llama.cpp refuses such a context the same way).
     */
    private static void requireWholeBlocksPerHead(HParams hp, GgmlType kvType) {
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
        try (GraphBuilder g = build(new GraphBuilder.Shape(ub, cache.size(), ub, options.flashAttention()))) {
            if (!GgmlLib.ggml_backend_sched_reserve(sched, g.graph())) {
                throw new NativeException("cannot allocate compute buffers (context " + options.contextSize()
                        + ", micro-batch " + ub + ")");
            }
        }
        GgmlLib.ggml_backend_sched_reset(sched);
    }

    private GraphBuilder build(GraphBuilder.Shape shape) {
        GraphBuilder g = new GraphBuilder(model.maxGraphNodes(), hp, cache, shape);
        try {
            g.finish(model.recipe().build(g, model.weights()));
            return g;
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
    }

    public KvCache cache() {
        return cache;
    }

    public HParams hparams() {
        return hp;
    }

    /** Graphs built so far, and how many micro-batches reused the previous graph. */
    public int graphBuilds() {
        return graphBuilds;
    }

    public int graphReuses() {
        return graphReuses;
    }

    /**
     * Asks a running computation to stop at the next node boundary. The request stays until
     * {@link #clearCancel()}: the caller clears it when its own operation starts, so a request that arrives
     * between two evaluations of one operation (decode steps) is not lost.
     */
    public void requestCancel() {
        setCancelFlag(1);
    }

    public boolean cancelRequested() {
        return !closed && cancelFlag.get(ValueLayout.JAVA_INT, 0) != 0;
    }

    public void clearCancel() {
        setCancelFlag(0);
    }

    /** Callable from any thread, also after close (closing twice, cancelling a closed session). */
    private void setCancelFlag(int value) {
        if (closed) {
            return;
        }
        try {
            cancelFlag.set(ValueLayout.JAVA_INT, 0, value);
        } catch (IllegalStateException e) {
            // the arena closed meanwhile: there is no computation left to cancel
        }
    }

    /**
     * Appends tokens at the next positions and computes them in micro-batches. Afterwards the logits of the
     * last token (or, with {@code allLogits}, of every token of this call; at most one micro-batch) can be read
     * with {@link #logits}.
     *
     * @return the number of logit rows available
     */
    public int evaluate(int[] tokens, int from, int count, boolean allLogits) {
        if (count <= 0) {
            throw new IllegalArgumentException("nothing to evaluate");
        }
        if (allLogits && count > options.ubatchSize()) {
            throw new IllegalArgumentException("logits for every token are available for at most " + options.ubatchSize()
                    + " tokens per call, got " + count);
        }
        for (int i = from; i < from + count; i++) {
            if (tokens[i] < 0 || tokens[i] >= hp.nVocab()) {
                throw new IllegalArgumentException("token id " + tokens[i] + " is outside the vocabulary [0, " + hp.nVocab() + ")");
            }
        }
        if (cache.used() + count > cache.capacity()) {
            throw new ContextOverflowException(count + " tokens do not fit: " + cache.used() + " of "
                    + cache.capacity() + " context positions are in use", cache.used() + count, cache.capacity());
        }
        int usedBefore = cache.used();
        int rows = 0;
        try {
            for (int start = from; start < from + count; start += options.ubatchSize()) {
                int n = Math.min(options.ubatchSize(), from + count - start);
                rows = micro(tokens, start, n, allLogits ? n : 1);
            }
        } catch (RuntimeException e) {
            // a failed or cancelled batch leaves no half-written positions behind
            cache.truncate(usedBefore);
            throw e;
        }
        return rows;
    }

    private int micro(int[] tokens, int start, int n, int nOut) {
        int first = cache.used();
        int nKv = cache.attendedCells(first + n);
        boolean fa = options.flashAttention();
        GraphBuilder.Shape shape = new GraphBuilder.Shape(n, nKv, nOut, fa);
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
        fillInputs(tokens, start, n, first, nKv, nOut);
        NativeStatus.check(GgmlLib.ggml4j_sched_compute(sched, current.graph()), "decoding " + n + " tokens");
        cache.advance(n);
        MemorySegment logits = current.logits();
        NativeStatus.check(GgmlLib.ggml4j_tensor_get(logits, logitsHost, 0, 4L * nOut * hp.nVocab()), "reading logits");
        return nOut;
    }

    private void fillInputs(int[] tokens, int start, int n, int firstPos, int nKv, int nOut) {
        for (int i = 0; i < n; i++) {
            tokensHost.setAtIndex(ValueLayout.JAVA_INT, i, tokens[start + i]);
            posHost.setAtIndex(ValueLayout.JAVA_INT, i, firstPos + i);
            kIdxHost.setAtIndex(ValueLayout.JAVA_LONG, i, firstPos + i);
        }
        set(current.tokensInput(), tokensHost, 4L * n);
        set(current.positionsInput(), posHost, 4L * n);
        set(current.kIndicesInput(), kIdxHost, 8L * n);
        if (options.flashAttention()) {
            set(current.vIndicesInput(), kIdxHost, 8L * n);
        } else {
            // transposed V: element d of token t goes to row d * size + cell(t)
            int nV = hp.nEmbdVGqa();
            long size = cache.size();
            for (int t = 0; t < n; t++) {
                long cell = firstPos + t;
                long base = (long) t * nV;
                for (int d = 0; d < nV; d++) {
                    vIdxHost.setAtIndex(ValueLayout.JAVA_LONG, base + d, d * size + cell);
                }
            }
            set(current.vIndicesInput(), vIdxHost, 8L * n * nV);
        }
        boolean f16 = options.flashAttention();
        KvCache.fillMask(maskHost, nKv, firstPos, n, f16);
        set(current.maskInput(), maskHost, (long) nKv * n * (f16 ? 2 : 4));
        if (current.outIdsInput() != null) {
            // the last nOut tokens of the micro-batch are the outputs
            for (int i = 0; i < nOut; i++) {
                outIdsHost.setAtIndex(ValueLayout.JAVA_INT, i, n - nOut + i);
            }
            set(current.outIdsInput(), outIdsHost, 4L * nOut);
        }
    }

    private static void set(MemorySegment tensor, MemorySegment host, long bytes) {
        NativeStatus.check(GgmlLib.ggml4j_tensor_set(tensor, host, 0, bytes), "setting a graph input");
    }

    /** Row {@code row} of the last logits, copied. */
    public float[] logits(int row) {
        long off = 4L * row * hp.nVocab();
        return logitsHost.asSlice(off, 4L * hp.nVocab()).toArray(ValueLayout.JAVA_FLOAT);
    }

    /** Row {@code row} of the last logits as native memory (valid until the next evaluate). */
    public MemorySegment logitsSegment(int row) {
        return logitsHost.asSlice(4L * row * hp.nVocab(), 4L * hp.nVocab());
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
        if (cache != null) {
            cache.close();
        }
        GgmlLib.ggml_backend_free(cpuBackend);
        gpuBackends.forEach(GgmlLib::ggml_backend_free);
        arena.close();
    }
}
