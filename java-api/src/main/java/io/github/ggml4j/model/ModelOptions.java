package io.github.ggml4j.model;

import io.github.ggml4j.Ggml4j;

import io.github.ggml4j.rpc.RpcEndpoint;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How a model is loaded and how its engine runs. The engine is one per model: every session of the model
 * shares its KV cache, its CPU threads and its decode loop, which batches the sessions' work together.
 *
 * {@snippet :
 * ModelOptions opts = ModelOptions.defaults()
 *         .withContextSize(8192)   // KV cells shared by all sessions
 *         .withThreads(4)
 *         .withRepack(false);      // pure zero-copy weights
 * ModelOptions noAmx = ModelOptions.defaults().withDisabledBufferTypes(Set.of("AMX")); // like --no-amx
 * }
 *
 * @param mmap           keep plain CPU weights in the file mapping (zero-copy); false copies them into memory
 *                       (llama.cpp's {@code --no-mmap}). <b>Hazard:</b> with the mapping, a model file truncated or
 *                       rewritten in place while the model is open makes the next read of a weight fault with
 *                       SIGBUS, which kills the JVM inside ggml (llama.cpp dies the same way); no Java code can
 *                       catch it. Replace model files by writing a new file and renaming it over the old one (the
 *                       mapping keeps the old inode), or load with {@code withMmap(false)}, which copies the
 *                       weights at load so later changes to the file cannot reach them
 * @param repack         store weights whose type has a faster CPU layout (Q4_0, IQ4_NL, Q4_K ...) in that layout;
 *                       those tensors are copied out of the mapping at load (about 1.5x faster prompt processing)
 * @param gpuLayers      how many layers to offload to GPUs or RPC devices when there are any, counted as
 *                       llama.cpp's {@code -ngl} counts them: the output head first, then the blocks from the last
 *                       one down (block count + 1 or more: all but the token embeddings); 0 keeps everything on
 *                       the CPU
 * @param contextSize    KV cache cells shared by all sessions of the model (llama.cpp's {@code -c}); rounded up
 *                       to a multiple of 256
 * @param batchSize      micro-batch size: tokens per graph (llama.cpp's {@code -ub})
 * @param threads        CPU threads for ggml (one pool per model, however many sessions)
 * @param flashAttention use ggml's fused flash attention
 * @param kvCacheType    element type of the KV cache
 * @param cachedPrompts  how many closed sessions' contexts stay cached for prefix reuse until their cells are
 *                       needed (0 frees a session's cells when it closes)
 * @param slidingWindow  sliding attention window W (a token sees the last W positions): -1 takes
 *                       {@code <arch>.attention.sliding_window} from the file, 0 turns it off (llama.cpp's choice
 *                       for the {@code llama} architecture), W &gt; 0 sets it (Mistral 7B v0.1: 4096)
 * @param kvLayout       with a window, keep only W positions per sequence ({@link KvLayout#ROLLING}, constant
 *                       memory) or all of them ({@link KvLayout#FULL})
 * @param disabledBufferTypes CPU extra buffer types never to place weights in, by ggml's name in any case
 *                       ({@code AMX}, {@code CPU_REPACK}); on top of those the kernel probe or
 *                       {@code -Dggml4j.cpu.disable} switched off
 * @param mainDevice     the GPU (index among the GPUs) for offloaded layers with {@link SplitMode#NONE}, and for
 *                       the output head with {@link SplitMode#LAYER}; must exist when layers are offloaded
 * @param splitMode      how offloaded layers are spread over several GPUs (llama.cpp's {@code --split-mode})
 * @param mlock          lock the model's weights in RAM (the file mapping, or the copies with {@code mmap} off),
 *                       so the OS never pages them out (llama.cpp's {@code --mlock}); needs a large enough
 *                       {@code RLIMIT_MEMLOCK} ({@code ulimit -l}), else one warning is logged and loading goes on
 * @param rpcServers     remote ggml RPC servers whose devices take offloaded layers, before local GPUs
 *                       ({@link #withRpcServers})
 * @param tensorSplit    shares of the offloaded layers per offload device (empty: by free memory)
 * @param kvStreams      1: one KV cache of {@code contextSize} cells that every session shares (forks and common
 *                       prefixes share cells); N &gt; 1: N streams of {@code contextSize / N} cells, each session in
 *                       one of them, so a token attends over its own stream only (llama.cpp's default for
 *                       {@code -np N}; {@code ggml4j serve} takes it from {@code --parallel}). Much faster with
 *                       many sessions decoding at once, and a session's results no longer depend on the others'; a
 *                       session then holds at most {@code contextSize / N} positions. See {@link #withKvStreams}
 * @param promptCacheBytes host memory for closed sessions' contexts once their cells are needed, restored for a
 *                       prompt that starts the same (0: none, the default; {@code ggml4j serve}: {@code --cache-ram});
 *                       for memories that share prefixes (attention caches), see {@link #withPromptCache}
 */
public record ModelOptions(boolean mmap, boolean repack, int gpuLayers, int contextSize, int batchSize, int threads,
                           boolean flashAttention, KvCacheType kvCacheType, int cachedPrompts, int slidingWindow,
                           KvLayout kvLayout, Set<String> disabledBufferTypes, int mainDevice, SplitMode splitMode,
                           boolean mlock, List<RpcEndpoint> rpcServers, List<Double> tensorSplit, int kvStreams,
                           long promptCacheBytes) {

    /** The most cells one engine may have (2^24 positions). */
    public static final int MAX_CONTEXT = 1 << 24;

    public ModelOptions {
        if (gpuLayers < 0) {
            throw new IllegalArgumentException("gpuLayers must be >= 0, got " + gpuLayers);
        }
        if (contextSize < 1 || contextSize > MAX_CONTEXT) {
            throw new IllegalArgumentException("contextSize must be in 1.." + MAX_CONTEXT + ", got " + contextSize);
        }
        if (batchSize < 1 || batchSize > 8192) {
            throw new IllegalArgumentException("batchSize must be in 1..8192, got " + batchSize);
        }
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("threads must be in 1..1024, got " + threads);
        }
        Objects.requireNonNull(kvCacheType, "kvCacheType");
        if (!flashAttention && kvCacheType.quantized()) {
            throw new IllegalArgumentException("a quantized KV cache needs flash attention");
        }
        if (cachedPrompts < 0) {
            throw new IllegalArgumentException("cachedPrompts must be >= 0, got " + cachedPrompts);
        }
        if (slidingWindow < -1) {
            throw new IllegalArgumentException("slidingWindow must be -1 (from the file), 0 (off) or positive, got "
                    + slidingWindow);
        }
        Objects.requireNonNull(kvLayout, "kvLayout");
        Objects.requireNonNull(disabledBufferTypes, "disabledBufferTypes");
        for (String n : disabledBufferTypes) {
            if (n == null || n.isBlank() || !n.strip().equals(n)) {
                throw new IllegalArgumentException("bad buffer type name '" + n + "' in disabledBufferTypes");
            }
        }
        disabledBufferTypes = disabledBufferTypes.stream().map(n -> n.toUpperCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
        if (mainDevice < 0) {
            throw new IllegalArgumentException("mainDevice must be >= 0 (an index among the GPUs), got " + mainDevice);
        }
        Objects.requireNonNull(splitMode, "splitMode");
        rpcServers = List.copyOf(Objects.requireNonNull(rpcServers, "rpcServers"));
        if (rpcServers.stream().distinct().count() != rpcServers.size()) {
            throw new IllegalArgumentException("an RPC server is listed twice in " + rpcServers);
        }
        if (kvStreams < 1 || kvStreams > 256) {
            throw new IllegalArgumentException("kvStreams must be in 1..256, got " + kvStreams);
        }
        if (kvStreams > 1 && contextSize / kvStreams < 1) {
            throw new IllegalArgumentException("a context of " + contextSize + " cells cannot make " + kvStreams
                    + " KV streams");
        }
        if (promptCacheBytes < 0) {
            throw new IllegalArgumentException("promptCacheBytes must be >= 0, got " + promptCacheBytes);
        }
        tensorSplit = List.copyOf(Objects.requireNonNull(tensorSplit, "tensorSplit"));
        for (double d : tensorSplit) {
            if (!(d >= 0) || Double.isInfinite(d)) {
                throw new IllegalArgumentException("tensor split shares must be finite and >= 0, got " + tensorSplit);
            }
        }
    }

    /** Options without a prompt cache in host memory. */
    public ModelOptions(boolean mmap, boolean repack, int gpuLayers, int contextSize, int batchSize, int threads,
                        boolean flashAttention, KvCacheType kvCacheType, int cachedPrompts, int slidingWindow,
                        KvLayout kvLayout, Set<String> disabledBufferTypes, int mainDevice, SplitMode splitMode,
                        boolean mlock, List<RpcEndpoint> rpcServers, List<Double> tensorSplit, int kvStreams) {
        this(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType, cachedPrompts,
                slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock, rpcServers, tensorSplit,
                kvStreams, 0);
    }

    /** Options with one KV cache shared by all sessions. */
    public ModelOptions(boolean mmap, boolean repack, int gpuLayers, int contextSize, int batchSize, int threads,
                        boolean flashAttention, KvCacheType kvCacheType, int cachedPrompts, int slidingWindow,
                        KvLayout kvLayout, Set<String> disabledBufferTypes, int mainDevice, SplitMode splitMode,
                        boolean mlock, List<RpcEndpoint> rpcServers, List<Double> tensorSplit) {
        this(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType, cachedPrompts,
                slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock, rpcServers, tensorSplit, 1);
    }

    /** Options without RPC servers or tensor split. */
    public ModelOptions(boolean mmap, boolean repack, int gpuLayers, int contextSize, int batchSize, int threads,
                        boolean flashAttention, KvCacheType kvCacheType, int cachedPrompts, int slidingWindow,
                        KvLayout kvLayout, Set<String> disabledBufferTypes, int mainDevice, SplitMode splitMode,
                        boolean mlock) {
        this(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType, cachedPrompts,
                slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock, List.of(), List.of());
    }

    /** Options on the main GPU 0, split by layer, without mlock. */
    public ModelOptions(boolean mmap, boolean repack, int gpuLayers, int contextSize, int batchSize, int threads,
                        boolean flashAttention, KvCacheType kvCacheType, int cachedPrompts, int slidingWindow,
                        KvLayout kvLayout, Set<String> disabledBufferTypes) {
        this(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType, cachedPrompts,
                slidingWindow, kvLayout, disabledBufferTypes, 0, SplitMode.LAYER, false);
    }

    /** Options without disabled buffer types. */
    public ModelOptions(boolean mmap, boolean repack, int gpuLayers, int contextSize, int batchSize, int threads,
                        boolean flashAttention, KvCacheType kvCacheType, int cachedPrompts, int slidingWindow,
                        KvLayout kvLayout) {
        this(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType, cachedPrompts,
                slidingWindow, kvLayout, Set.of(), 0, SplitMode.LAYER, false);
    }

    /**
     * llama.cpp's CPU defaults: mmap and repacking on, no GPU offload, 4096 cells, micro-batches of 512, one
     * thread per core, flash attention, F16 cache; up to 4 closed sessions' prompts cached; the file's sliding
     * window, if any, with a rolling cache.
     */
    public static ModelOptions defaults() {
        return new ModelOptions(true, true, 0, 4096, 512, Ggml4j.defaultThreads(), true, KvCacheType.F16, 4, -1,
                KvLayout.ROLLING, Set.of(), 0, SplitMode.LAYER, false, List.of(), List.of());
    }

    public ModelOptions withMmap(boolean value) {
        return new ModelOptions(value, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock, rpcServers, tensorSplit, kvStreams, promptCacheBytes);
    }

    public ModelOptions withRepack(boolean value) {
        return new ModelOptions(mmap, value, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock, rpcServers, tensorSplit, kvStreams, promptCacheBytes);
    }

    /** Which GPU (an index among the GPUs {@code ggml4j info} lists) holds offloaded layers with {@link SplitMode#NONE},
     *  and the output head and small tensors otherwise. */
    public ModelOptions withMainDevice(int value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, value, splitMode, mlock, rpcServers, tensorSplit, kvStreams, promptCacheBytes);
    }

    public ModelOptions withSplitMode(SplitMode value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, value, mlock, rpcServers, tensorSplit, kvStreams, promptCacheBytes);
    }

    /** Lock the weights in RAM (llama.cpp's {@code --mlock}); see {@link #mlock()}. */
    public ModelOptions withMlock(boolean value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, value, rpcServers, tensorSplit, kvStreams, promptCacheBytes);
    }

    public ModelOptions withGpuLayers(int value) {
        return new ModelOptions(mmap, repack, value, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock, rpcServers, tensorSplit, kvStreams, promptCacheBytes);
    }

    public ModelOptions withContextSize(int value) {
        return new ModelOptions(mmap, repack, gpuLayers, value, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock, rpcServers, tensorSplit, kvStreams, promptCacheBytes);
    }

    public ModelOptions withBatchSize(int value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, value, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock, rpcServers, tensorSplit, kvStreams, promptCacheBytes);
    }

    public ModelOptions withThreads(int value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, value, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock, rpcServers, tensorSplit, kvStreams, promptCacheBytes);
    }

    public ModelOptions withFlashAttention(boolean value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, value, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock, rpcServers, tensorSplit, kvStreams, promptCacheBytes);
    }

    public ModelOptions withKvCacheType(KvCacheType value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, value,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock, rpcServers, tensorSplit, kvStreams, promptCacheBytes);
    }

    public ModelOptions withCachedPrompts(int value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                value, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock, rpcServers, tensorSplit, kvStreams, promptCacheBytes);
    }

    public ModelOptions withSlidingWindow(int value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, value, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock, rpcServers, tensorSplit, kvStreams, promptCacheBytes);
    }

    public ModelOptions withKvLayout(KvLayout value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, value, disabledBufferTypes, mainDevice, splitMode, mlock, rpcServers, tensorSplit, kvStreams, promptCacheBytes);
    }

    /** Never place weights in these CPU extra buffer types (e.g. {@code Set.of("AMX")}). */
    public ModelOptions withDisabledBufferTypes(Set<String> names) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, names, mainDevice, splitMode, mlock, rpcServers, tensorSplit, kvStreams, promptCacheBytes);
    }

    /**
     * Remote devices: ggml RPC servers ({@code ggml4j rpc-server} or llama.cpp's {@code rpc-server} of the same
     * ggml) whose devices come first among the offload devices, before local GPUs, as with llama.cpp's
     * {@code --rpc}. Offloaded layers ({@link #gpuLayers()}) are split over them by free memory or
     * {@link #tensorSplit()}. Each server is checked when the model loads (reachable, same protocol version:
     * {@link io.github.ggml4j.rpc.RpcException} otherwise) and stays connected for the life of the process.
     */
    public ModelOptions withRpcServers(List<RpcEndpoint> servers) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock, servers,
                tensorSplit, kvStreams, promptCacheBytes);
    }

    /** The share of offloaded layers for each offload device in order (llama.cpp's {@code --tensor-split});
     *  empty or all zero: by free memory. */
    public ModelOptions withTensorSplit(List<Double> shares) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock, rpcServers,
                shares, kvStreams, promptCacheBytes);
    }

    /**
     * KV streams ({@link #kvStreams()}): {@code n} sessions decoding at once each attend over their own
     * {@code contextSize / n} cells instead of all sessions' cells.
     *
     * {@snippet :
     * // a server for 8 clients: 8 streams of 2048 positions
     * ModelOptions opts = ModelOptions.defaults().withContextSize(16384).withKvStreams(8);
     * }
     */
    public ModelOptions withKvStreams(int value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock, rpcServers,
                tensorSplit, value, promptCacheBytes);
    }

    /**
     * A prompt cache of up to {@code bytes} in host memory ({@link #promptCacheBytes()}, llama-server's
     * {@code --cache-ram}): a closed session's context whose cells are needed moves there, and a later session whose
     * prompt starts the same gets those rows back instead of computing them.
     *
     * {@snippet :
     * // a server answering the same long system prompt again and again
     * ModelOptions opts = ModelOptions.defaults().withKvStreams(8).withContextSize(16384)
     *         .withPromptCache(1L << 30);
     * }
     */
    public ModelOptions withPromptCache(long bytes) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock, rpcServers,
                tensorSplit, kvStreams, bytes);
    }
}
