package io.github.ggml4j.arch;

import io.github.ggml4j.ModelException;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The architectures ggml4j can run, by {@code general.architecture}. */
public final class Recipes {

    private static final Map<String, Recipe<?>> BY_NAME = new TreeMap<>();

    static {
        register(new LlamaRecipe());
        register(new Qwen2Recipe());
        register(new Rwkv6Recipe());
        register(new Rwkv7Recipe());
        register(new Olmo2Recipe());
        register(new Gpt2Recipe());
        register(new MptRecipe());
        register(new BloomRecipe());
        register(new FalconRecipe());
        register(new BertRecipe());
        register(new NomicBertRecipe());
        register(new JinaBertV2Recipe());
        register(new T5EncoderRecipe());
        register(new T5Recipe());
    }

    private Recipes() {
    }

    private static void register(Recipe<?> r) {
        BY_NAME.put(r.name(), r);
    }

    /** The recipe for an architecture, or a ModelException listing the supported ones (case 34). */
    public static Recipe<?> forArchitecture(String arch) {
        Recipe<?> r = BY_NAME.get(arch);
        if (r == null) {
            throw new ModelException("unsupported architecture '" + arch + "'; supported: " + String.join(", ", BY_NAME.keySet()));
        }
        return r;
    }

    public static List<String> supported() {
        return List.copyOf(BY_NAME.keySet());
    }
}
