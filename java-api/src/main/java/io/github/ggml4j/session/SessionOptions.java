package io.github.ggml4j.session;

import io.github.ggml4j.Ggml4j;

import java.util.Locale;
import java.util.Objects;

/**
 * How a session runs.
 *
 * {@snippet :
 * SessionOptions opts = SessionOptions.defaults().withContextSize(2048).withThreads(2);
 * }
 *
 * @param contextSize    positions the session can hold (prompt plus generated tokens); 0 means the smaller of
 *                       4096 and the model's trained context
 * @param batchSize      micro-batch size: tokens evaluated per graph during prompt processing
 * @param threads        CPU threads for ggml
 * @param flashAttention use ggml's fused flash attention
 * @param kvCacheType    element type of the KV cache: {@code f16} (default), {@code f32}, {@code q8_0}, {@code q4_0}
 */
public record SessionOptions(int contextSize, int batchSize, int threads, boolean flashAttention, String kvCacheType) {

    public SessionOptions {
        if (contextSize < 0) {
            throw new IllegalArgumentException("contextSize must be >= 0, got " + contextSize);
        }
        if (batchSize < 1 || batchSize > 8192) {
            throw new IllegalArgumentException("batchSize must be in 1..8192, got " + batchSize);
        }
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("threads must be in 1..1024, got " + threads);
        }
        Objects.requireNonNull(kvCacheType, "kvCacheType");
        kvCacheType = kvCacheType.toLowerCase(Locale.ROOT);
        if (!kvCacheType.equals("f16") && !kvCacheType.equals("f32") && !kvCacheType.equals("q8_0")
                && !kvCacheType.equals("q4_0")) {
            throw new IllegalArgumentException("kvCacheType must be f16, f32, q8_0 or q4_0, got " + kvCacheType);
        }
        if (!flashAttention && (kvCacheType.equals("q8_0") || kvCacheType.equals("q4_0"))) {
            throw new IllegalArgumentException("a quantized KV cache needs flash attention");
        }
    }

    /** Context from the model (at most 4096), micro-batches of 512, one thread per core, flash attention, F16 cache. */
    public static SessionOptions defaults() {
        return new SessionOptions(0, 512, Ggml4j.defaultThreads(), true, "f16");
    }

    public SessionOptions withContextSize(int value) {
        return new SessionOptions(value, batchSize, threads, flashAttention, kvCacheType);
    }

    public SessionOptions withBatchSize(int value) {
        return new SessionOptions(contextSize, value, threads, flashAttention, kvCacheType);
    }

    public SessionOptions withThreads(int value) {
        return new SessionOptions(contextSize, batchSize, value, flashAttention, kvCacheType);
    }

    public SessionOptions withFlashAttention(boolean value) {
        return new SessionOptions(contextSize, batchSize, threads, value, kvCacheType);
    }

    public SessionOptions withKvCacheType(String value) {
        return new SessionOptions(contextSize, batchSize, threads, flashAttention, value);
    }
}
