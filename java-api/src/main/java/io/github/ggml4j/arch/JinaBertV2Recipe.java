package io.github.ggml4j.arch;

import io.github.ggml4j.gguf.GgufMetadata;

/**
 * jina-bert-v2 ({@code jina-bert-v2}, Günther et al. 2023, jina-embeddings-v2 and jina-reranker-v1): BERT's
 * post-norm encoder without position embeddings, attending with symmetric ALiBi biases ({@code -|i - j|} times a
 * per-head slope from a maximum bias of 8), which lets it read inputs far longer than it was trained on, and a
 * GELU-gated FFN with biases. Optional LayerNorms on Q and K and a second attention norm (the code models), the
 * gate separate or fused into the up projection, and a one-row classification head (the rerankers) are taken
 * as the file has them.
 *
 * {@snippet :
 * try (Model jina = Model.load(Path.of("jina-embeddings-v2-small-en-f16.gguf"))) {
 *     float[][] v = jina.embed(List.of("a long document ...")); // mean-pooled, L2-normalised
 * }
 * }
 */
public final class JinaBertV2Recipe extends BertRecipe {

    /** jina-bert-v2's ALiBi maximum bias (fixed by the architecture, not in the file). */
    static final float MAX_ALIBI_BIAS = 8f;

    @Override
    public String name() {
        return "jina-bert-v2";
    }

    @Override
    public HParams hparams(GgufMetadata md) {
        return super.hparams(md).withAlibi(MAX_ALIBI_BIAS, 0f);
    }

    @Override
    protected boolean learnedPositions() {
        return false;
    }

    @Override
    protected boolean rotary() {
        return false;
    }

    @Override
    protected boolean optionalPieces() {
        return true;
    }

    @Override
    protected long clsRows(HParams hp) {
        return 1; // jina-reranker-v1's head: one dense row, then tanh
    }
}
