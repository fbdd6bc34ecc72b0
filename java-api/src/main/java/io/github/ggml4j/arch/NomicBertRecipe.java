package io.github.ggml4j.arch;

/**
 * nomic-bert ({@code nomic-bert}, Nussbaum et al. 2024, nomic-embed-text): BERT's post-norm encoder with
 * rotary positions (NeoX mode) instead of learned ones, a fused QKV projection and a SwiGLU FFN without biases,
 * which lets it read inputs longer than its training context.
 *
 * {@snippet :
 * Recipe<?> nomic = Recipes.forArchitecture("nomic-bert");
 * HParams hp = nomic.hparams(file.metadata()); // hp.encoder().pooling() is MEAN for nomic-embed-text
 * }
 */
public final class NomicBertRecipe extends BertRecipe {

    @Override
    public String name() {
        return "nomic-bert";
    }

    @Override
    protected boolean learnedPositions() {
        return false;
    }

    @Override
    protected boolean gatedFfn() {
        return true;
    }
}
