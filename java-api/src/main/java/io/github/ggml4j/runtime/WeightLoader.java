package io.github.ggml4j.runtime;

import io.github.ggml4j.ModelException;
import io.github.ggml4j.arch.WeightSource;
import io.github.ggml4j.arch.WeightUse;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufTensorInfo;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.nativ.GgmlContext;
import io.github.ggml4j.nativ.Tensors;
import io.github.ggml4j.rpc.RpcEndpoint;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Binds a recipe's weights: checks each one against the file (case 32), asks the backends which buffer type
 * can run its operation, and creates its ggml tensor in that buffer type's group. {@link #finish} then
 * allocates the groups: zero-copy over the file mapping for plain CPU weights, copies for repacked and GPU
 * weights.
 */
public final class WeightLoader implements WeightSource {

    /**
     * Where weights go.
     *
     * @param mmap      plain CPU weights stay in the file mapping (zero-copy)
     * @param repack    weights whose type has a faster CPU layout are repacked (copied) into it
     * @param gpuLayers how many layers go to offload devices, counted as llama.cpp's {@code -ngl} counts them: the
     *                  output head first, then the blocks from the last one down
     * @param disabledBufts extra CPU buffer types (by ggml name, any case) never to place weights in
     * @param mainDevice the offload device (index among the model's devices) of every offloaded layer without
     *                   {@code splitLayers}
     * @param splitLayers spread offloaded layers over all offload devices by free memory (or the tensor split)
     * @param mlock     lock the weights in RAM after loading
     * @param rpcServers remote RPC servers whose devices come first among the offload devices, before local GPUs
     * @param tensorSplit the share of offloaded layers per offload device instead of free memory (empty: by free
     *                  memory)
     */
    public record Placement(boolean mmap, boolean repack, int gpuLayers, Set<String> disabledBufts, int mainDevice,
                            boolean splitLayers, boolean mlock, List<RpcEndpoint> rpcServers,
                            List<Double> tensorSplit) {
        public Placement {
            if (gpuLayers < 0) {
                throw new IllegalArgumentException("gpuLayers must be >= 0, got " + gpuLayers);
            }
            if (mainDevice < 0) {
                throw new IllegalArgumentException("mainDevice must be >= 0, got " + mainDevice);
            }
            disabledBufts = disabledBufts.stream().map(n -> n.toUpperCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
            rpcServers = List.copyOf(rpcServers);
            tensorSplit = List.copyOf(tensorSplit);
        }

        public Placement(boolean mmap, boolean repack, int gpuLayers, Set<String> disabledBufts, int mainDevice,
                         boolean splitLayers, boolean mlock) {
            this(mmap, repack, gpuLayers, disabledBufts, mainDevice, splitLayers, mlock, List.of(), List.of());
        }

        public Placement(boolean mmap, boolean repack, int gpuLayers, Set<String> disabledBufts) {
            this(mmap, repack, gpuLayers, disabledBufts, 0, true, false);
        }

        public Placement(boolean mmap, boolean repack, int gpuLayers) {
            this(mmap, repack, gpuLayers, Set.of());
        }

        boolean disables(String buftName) {
            return disabledBufts.contains(buftName.toUpperCase(Locale.ROOT));
        }

        /**
         * Whether a layer ({@link WeightSource#INPUT}, a block index or {@link WeightSource#OUTPUT}) is offloaded,
         * given that an offload device exists. As in llama.cpp, the head counts as layer nLayer and goes first:
         * gpuLayers = 1 offloads the head, 2 the head and the last block, nLayer + 1 everything but the input.
         */
        public boolean offloads(int layer, int nLayer) {
            if (gpuLayers == 0 || layer == WeightSource.INPUT) {
                return false;
            }
            int index = layer == WeightSource.OUTPUT ? nLayer : layer;
            return index >= nLayer + 1 - gpuLayers;
        }
    }

    /** A tensor created for a weight, with the file tensor holding its data. */
    record Bound(MemorySegment tensor, GgufTensorInfo source, MemorySegment buft) {
    }

    private final GgufFile file;
    private final Placement placement;
    private final int nLayer;
    private final Devices devices = Devices.get();
    private final Map<MemorySegment, GgmlContext> groups = new LinkedHashMap<>();
    private final Map<String, Bound> bound = new HashMap<>();
    private final List<Bound> order = new ArrayList<>();
    private final GpuAssignment gpus;
    /** supports_op answers by weight type, shape, use, device and buffer type: repeated layers ask once. */
    private final Map<String, Boolean> answers = new HashMap<>();
    /** One stand-in context for every question, reset between them: closing one per question cost a handshake with every thread. */
    private GgmlContext probe;
    /** A zero-size buffer per buffer type, which is all supports_op looks at. */
    private final Map<MemorySegment, MemorySegment> dummies = new HashMap<>();

    public WeightLoader(GgufFile file, Placement placement, int nLayer) {
        this.file = file;
        this.placement = placement;
        this.nLayer = nLayer;
        this.gpus = placement.gpuLayers() == 0 ? GpuAssignment.cpuOnly(nLayer)
                : OffloadDevices.assign(placement, nLayer, devices);
    }

    @Override
    public boolean has(String name) {
        return file.tensor(name).isPresent();
    }

    @Override
    public java.util.Optional<long[]> shapeOf(String name) {
        return file.tensor(name).map(t -> t.shape());
    }

    @Override
    public MemorySegment require(String name, WeightUse use, int layer, long... shape) {
        return bind(name, name, use, layer, shape, true);
    }

    @Override
    public MemorySegment optional(String name, WeightUse use, int layer, long... shape) {
        return bind(name, name, use, layer, shape, false);
    }

    @Override
    public MemorySegment requireOrTie(String name, String fallback, WeightUse use, int layer, long... shape) {
        if (has(name)) {
            return require(name, use, layer, shape);
        }
        return bind(name, fallback, use, layer, shape, true);
    }

    private MemorySegment bind(String name, String sourceName, WeightUse use, int layer, long[] shape, boolean required) {
        Bound existing = bound.get(name);
        if (existing != null) {
            return existing.tensor();
        }
        Optional<GgufTensorInfo> found = file.tensor(sourceName);
        if (found.isEmpty()) {
            if (required) {
                throw new ModelException("missing tensor '" + sourceName + "'" + (name.equals(sourceName) ? "" : " (for " + name + ")"));
            }
            return null;
        }
        GgufTensorInfo info = found.get();
        long[] actual = info.shape();
        if (!Arrays.equals(actual, shape)) {
            throw new ModelException("tensor '" + sourceName + "' has shape " + Arrays.toString(actual) + ", expected "
                    + Arrays.toString(shape));
        }
        MemorySegment buft = chooseBuft(info, use, layer);
        GgmlContext group = groups.computeIfAbsent(buft, b -> GgmlContext.forTensors(4096));
        MemorySegment t = group.newTensor(info.type().id(), shape);
        GgmlContext.setName(t, name);
        Bound b = new Bound(t, info, buft);
        bound.put(name, b);
        order.add(b);
        return t;
    }

    /** The first buffer type, in preference order for the layer's device, whose backend supports the use. */
    private MemorySegment chooseBuft(GgufTensorInfo info, WeightUse use, int layer) {
        List<MemorySegment[]> candidates = new ArrayList<>(); // {device, buft}
        int onGpu = gpus.gpuOf(layer, nLayer);
        if (onGpu >= 0) {
            MemorySegment gpu = gpus.device(onGpu);
            candidates.add(new MemorySegment[] {gpu, GgmlLib.ggml_backend_dev_buffer_type(gpu)});
        }
        if (placement.repack() && use == WeightUse.MUL_MAT) {
            for (MemorySegment extra : devices.cpuExtraBufts()) {
                // only where the kernel probe passed this weight type, and the options do not switch it off
                if (devices.extraAccepts(extra, info.type()) && !placement.disables(Devices.buftName(extra))) {
                    candidates.add(new MemorySegment[] {devices.cpu(), extra});
                }
            }
        }
        candidates.add(new MemorySegment[] {devices.cpu(), devices.cpuBuft()});
        for (MemorySegment[] c : candidates) {
            if (supports(info, use, c[0], c[1])) {
                return c[1];
            }
        }
        throw new ModelException("tensor '" + info.name() + "' of type " + info.type() + " cannot be used for " + use
                + " by any backend of this build");
    }

    /** Builds the use's operation on a stand-in of the weight and asks the device (as llama.cpp does). */
    private boolean supports(GgufTensorInfo info, WeightUse use, MemorySegment dev, MemorySegment buft) {
        if (info.type() != GgmlType.F32 && (use == WeightUse.MUL || use == WeightUse.ADD || use == WeightUse.ROPE)) {
            return false; // norms, biases and frequency factors are read as F32 by the kernels
        }
        if ((use == WeightUse.MUL_MAT || use == WeightUse.GET_ROWS) && !isWeightType(info.type())) {
            return false;
        }
        // a string, not a record: a record's first equals and hashCode bootstrap method handles (ms at start-up)
        String question = info.type() + Arrays.toString(info.shape()) + use + dev.address() + ":" + buft.address();
        Boolean known = answers.get(question);
        if (known == null) {
            known = ask(info, use, dev, buft);
            answers.put(question, known);
        }
        return known;
    }

    private boolean ask(GgufTensorInfo info, WeightUse use, MemorySegment dev, MemorySegment buft) {
        if (probe == null) {
            probe = GgmlContext.forTensors(8);
        }
        probe.reset();
        long[] ne = info.shape();
        MemorySegment w = probe.newTensor(info.type().id(), ne);
        MemorySegment op = switch (use) {
            // a stacked [k, n, m] weight (RWKV-6's time_mix_w2) multiplies m stacked inputs
            case MUL_MAT -> GgmlLib.ggml_mul_mat(probe.handle(), w, probe.newTensor(GgmlLib.GGML_TYPE_F32(), ne[0],
                    512, ne.length > 2 ? ne[2] : 1, ne.length > 3 ? ne[3] : 1));
            case GET_ROWS -> GgmlLib.ggml_get_rows(probe.handle(), w, probe.newTensor(GgmlLib.GGML_TYPE_I32(), 512));
            // the weight's own shape: a [n, 1, 1, 5] weight (RWKV's fused mixes) broadcasts over nothing smaller
            case MUL -> GgmlLib.ggml_mul(probe.handle(), probe.newTensor(GgmlLib.GGML_TYPE_F32(), ne), w);
            case ADD -> GgmlLib.ggml_add(probe.handle(), probe.newTensor(GgmlLib.GGML_TYPE_F32(), ne), w);
            case ROPE -> GgmlLib.ggml_rope_ext(probe.handle(), probe.newTensor(GgmlLib.GGML_TYPE_F32(), ne[0] * 2, 1, 512),
                    probe.newTensor(GgmlLib.GGML_TYPE_I32(), 512), w, (int) ne[0] * 2, 0, 0, 10000f, 1f, 0f, 1f, 32f, 1f);
        };
        MemorySegment dummy = dummies.computeIfAbsent(buft, b -> GgmlLib.ggml_backend_buft_alloc_buffer(b, 0));
        Tensors.setBuffer(w, dummy);
        try {
            return GgmlLib.ggml_backend_dev_supports_op(dev, op);
        } finally {
            Tensors.setBuffer(w, MemorySegment.NULL);
        }
    }

    /** Frees what answering supports_op took; the answers stay. */
    private void closeProbe() {
        for (MemorySegment dummy : dummies.values()) {
            if (!dummy.equals(MemorySegment.NULL)) {
                GgmlLib.ggml_backend_buffer_free(dummy);
            }
        }
        dummies.clear();
        if (probe != null) {
            probe.close();
            probe = null;
        }
    }

    /**
     * Whether ggml has kernels that read this type as a weight matrix. The CPU backend's supports_op accepts a
     * matrix product on any type, but integers and F64 have no dot product there and Q8_1/Q8_K are activation
     * formats without one either: such a weight would crash in the first compute instead of failing the load.
     */
    static boolean isWeightType(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16 -> true;
            case Q8_1, Q8_K -> false;
            default -> type.isQuantized();
        };
    }

    /** Allocates every group and fills it from the file; the loader is spent afterwards. */
    public WeightStore finish() {
        closeProbe();
        WeightStore store = new WeightStore(file, placement.mmap(), devices.cpuBuft(), gpus);
        try {
            for (Map.Entry<MemorySegment, GgmlContext> g : groups.entrySet()) {
                List<Bound> members = order.stream().filter(b -> b.buft().equals(g.getKey())).toList();
                store.addGroup(g.getKey(), g.getValue(), members);
            }
            return store;
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** Frees the groups when binding failed before {@link #finish}. */
    public void abandon() {
        closeProbe();
        groups.values().forEach(GgmlContext::close);
        groups.clear();
    }
}
