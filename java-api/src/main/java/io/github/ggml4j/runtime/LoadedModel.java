package io.github.ggml4j.runtime;

import io.github.ggml4j.ModelException;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.arch.Recipe;
import io.github.ggml4j.arch.Recipes;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.nativ.NativeLoader;
import io.github.ggml4j.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The native side of a model: the GGUF file and its mapping, hyper-parameters, the recipe and its bound
 * weights. One owner: {@link #close()} frees the weights, then unmaps the file.
 */
public final class LoadedModel implements AutoCloseable {

    private final GgufFile file;
    private final HParams hp;
    private final Recipe<Object> recipe;
    private final Object weights;
    private final WeightStore store;
    private final WeightLoader.Placement placement;
    private final int weightTensors;
    private final Tokenizer tokenizer;
    private final boolean view;

    private LoadedModel(GgufFile file, HParams hp, Recipe<Object> recipe, Object weights, WeightStore store,
                        WeightLoader.Placement placement, Tokenizer tokenizer, boolean view) {
        this.view = view;
        this.tokenizer = tokenizer;
        this.file = file;
        this.hp = hp;
        this.recipe = recipe;
        this.weights = weights;
        this.store = store;
        this.placement = placement;
        this.weightTensors = file.tensors().size();
    }

    /** Opens, validates and maps a model. Everything opened is closed again when this throws. */
    @SuppressWarnings("unchecked")
    public static LoadedModel load(Path path, WeightLoader.Placement placement) {
        Objects.requireNonNull(path, "path");
        GgufFile file = GgufFile.open(path);
        try {
            String arch = file.metadata().architecture();
            Recipe<Object> recipe = (Recipe<Object>) Recipes.forArchitecture(arch);
            HParams hp = recipe.hparams(file.metadata());
            // the tokenizer is built while the weights are bound (both are a short run's start-up); its errors
            // (cases 23-25) win over the weights' and leave nothing bound
            Background<Tokenizer> tokenizing = file.metadata().contains("tokenizer.ggml.model")
                    ? Background.start("ggml4j-tokenizer", () -> Tokenizer.fromGguf(file)) : null;
            WeightLoader loader;
            Object weights;
            try {
                loader = new WeightLoader(file, placement, hp.nLayer());
                NativeLoader.linkAhead();
            } catch (RuntimeException | Error e) {
                joinAfterFailure(tokenizing, e);
                throw e;
            }
            try {
                weights = recipe.bind(loader, hp);
            } catch (RuntimeException | Error e) {
                loader.abandon();
                joinAfterFailure(tokenizing, e);
                throw e;
            }
            Tokenizer tokenizer;
            try {
                tokenizer = tokenizing == null ? null : tokenizing.join();
            } catch (RuntimeException | Error e) {
                loader.abandon();
                throw e;
            }
            WeightStore store = loader.finish();
            if (placement.mlock()) {
                store.lock();
            }
            return new LoadedModel(file, hp, recipe, weights, store, placement, tokenizer, false);
        } catch (ModelException e) {
            file.close();
            throw new ModelException(path.getFileName() + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            file.close();
            throw e;
        }
    }

    /**
     * Waits for the tokenizer after the weights failed with {@code failure}, so that the file is not closed
     * under it; a tokenizer error is thrown instead (the vocabulary is checked first), with {@code failure}
     * attached.
     */
    private static void joinAfterFailure(Background<Tokenizer> tokenizing, Throwable failure) {
        if (tokenizing == null) {
            return;
        }
        try {
            tokenizing.join();
        } catch (RuntimeException | Error e) {
            e.addSuppressed(failure);
            throw e;
        }
    }

    /**
     * The same file and weights under another recipe (an encoder–decoder's encoder), with its own
     * hyper-parameters; closing the view frees nothing, the model it came from owns everything.
     */
    public LoadedModel view(Recipe<Object> other) {
        return new LoadedModel(file, other.hparams(file.metadata()), other, weights, store, placement, tokenizer, true);
    }

    /**
     * For an encoder–decoder model, its encoder and the decoder's start token (see
     * {@link Recipe#encoderDecoder}); empty for other models.
     */
    @SuppressWarnings("unchecked")
    public Optional<Recipe.EncoderDecoder<Object>> encoderDecoder() {
        return recipe.encoderDecoder(file.metadata());
    }

    public GgufFile file() {
        return file;
    }

    public HParams hparams() {
        return hp;
    }

    public Recipe<Object> recipe() {
        return recipe;
    }

    public Object weights() {
        return weights;
    }

    /** The model's tokenizer, when its file has a vocabulary. */
    public Optional<Tokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    public WeightStore store() {
        return store;
    }

    public WeightLoader.Placement placement() {
        return placement;
    }

    /** Upper bound on graph nodes for one forward pass (llama.cpp uses a similar multiple of the tensor count). */
    public int maxGraphNodes() {
        // room for a streamed KV cache's attention groups (StreamedKvCache: up to 6 a layer)
        return Math.max(2048, 16 * weightTensors + 128 * hp.nLayer());
    }

    @Override
    public void close() {
        if (view) {
            return;
        }
        store.close();
        file.close();
    }
}
