package io.github.ggml4j.rwkv;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.testing.SyntheticRwkv;

import java.util.SplittableRandom;

/** The synthetic RWKV models and settings the RWKV tests share. */
final class RwkvModels {

    static final SyntheticRwkv RWKV6 = SyntheticRwkv.rwkv6(256, 3);
    static final SyntheticRwkv RWKV7 = SyntheticRwkv.rwkv7(256, 3);

    private RwkvModels() {
    }

    static SyntheticRwkv of(int version, GgmlType type) {
        return (version == 6 ? RWKV6 : RWKV7).withWeightType(type);
    }

    /** A prompt of {@code n} ordinary token ids of the synthetic world vocabulary (no control or pad tokens). */
    static int[] prompt(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = 300 + r.nextInt(3700);
        }
        return p;
    }

    static ModelOptions options() {
        return ModelOptions.defaults().withContextSize(512).withBatchSize(512).withThreads(2).withCachedPrompts(0);
    }
}
