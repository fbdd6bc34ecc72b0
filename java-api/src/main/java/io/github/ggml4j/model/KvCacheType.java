package io.github.ggml4j.model;

import io.github.ggml4j.gguf.GgmlType;

import java.util.Locale;

/** Element type of the KV cache. The quantized ones need flash attention. */
public enum KvCacheType {
    F16(GgmlType.F16),
    F32(GgmlType.F32),
    Q8_0(GgmlType.Q8_0),
    Q4_0(GgmlType.Q4_0);

    private final GgmlType ggml;

    KvCacheType(GgmlType ggml) {
        this.ggml = ggml;
    }

    /** The ggml element type. */
    public GgmlType ggmlType() {
        return ggml;
    }

    public boolean quantized() {
        return this == Q8_0 || this == Q4_0;
    }

    /**
     * By llama.cpp's name ({@code f16}, {@code f32}, {@code q8_0}, {@code q4_0}), case-insensitive.
     *
     * @throws IllegalArgumentException for any other name
     */
    public static KvCacheType of(String name) {
        for (KvCacheType t : values()) {
            if (t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("KV cache type must be f16, f32, q8_0 or q4_0, got " + name);
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
