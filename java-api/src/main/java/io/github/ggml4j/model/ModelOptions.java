package io.github.ggml4j.model;

import io.github.ggml4j.Ggml4j;

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
 * @param gpuLayers      how many of the last blocks to offload to the first GPU when one is available (a value
 *                       above the block count offloads the output head too); 0 keeps everything on the CPU
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
 */
public record ModelOptions(boolean mmap, boolean repack, int gpuLayers, int contextSize, int batchSize, int threads,
                           boolean flashAttention, KvCacheType kvCacheType, int cachedPrompts, int slidingWindow,
                           KvLayout kvLayout, Set<String> disabledBufferTypes, int mainDevice, SplitMode splitMode,
                           boolean mlock) {

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
                KvLayout.ROLLING, Set.of(), 0, SplitMode.LAYER, false);
    }

    public ModelOptions withMmap(boolean value) {
        return new ModelOptions(value, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock);
    }

    public ModelOptions withRepack(boolean value) {
        return new ModelOptions(mmap, value, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock);
    }

    /** Which GPU (an index among the GPUs {@code ggml4j info} lists) holds offloaded layers with {@link SplitMode#NONE},
     *  and the output head and small tensors otherwise. */
    public ModelOptions withMainDevice(int value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, value, splitMode, mlock);
    }

    public ModelOptions withSplitMode(SplitMode value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, value, mlock);
    }

    /** Lock the weights in RAM (llama.cpp's {@code --mlock}); see {@link #mlock()}. */
    public ModelOptions withMlock(boolean value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, value);
    }

    public ModelOptions withGpuLayers(int value) {
        return new ModelOptions(mmap, repack, value, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock);
    }

    public ModelOptions withContextSize(int value) {
        return new ModelOptions(mmap, repack, gpuLayers, value, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock);
    }

    public ModelOptions withBatchSize(int value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, value, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock);
    }

    public ModelOptions withThreads(int value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, value, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock);
    }

    public ModelOptions withFlashAttention(boolean value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, value, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock);
    }

    public ModelOptions withKvCacheType(KvCacheType value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, value,
                cachedPrompts, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock);
    }

    public ModelOptions withCachedPrompts(int value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                value, slidingWindow, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock);
    }

    public ModelOptions withSlidingWindow(int value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, value, kvLayout, disabledBufferTypes, mainDevice, splitMode, mlock);
    }

    public ModelOptions withKvLayout(KvLayout value) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, value, disabledBufferTypes, mainDevice, splitMode, mlock);
    }

    /** Never place weights in these CPU extra buffer types (e.g. {@code Set.of("AMX")}). */
    public ModelOptions withDisabledBufferTypes(Set<String> names) {
        return new ModelOptions(mmap, repack, gpuLayers, contextSize, batchSize, threads, flashAttention, kvCacheType,
                cachedPrompts, slidingWindow, kvLayout, names, mainDevice, splitMode, mlock);
    }
}
