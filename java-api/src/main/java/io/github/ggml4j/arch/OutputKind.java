package io.github.ggml4j.arch;

/** What a recipe's forward pass produces for each output row. */
public enum OutputKind {
    /** Next-token logits [n_vocab] (decoders). */
    LOGITS,
    /** The last hidden state of each token [n_embd] (encoders). */
    TOKEN_EMBEDDINGS,
    /** One vector per sequence, pooled over its tokens (sentence embeddings, rerankers). */
    POOLED_EMBEDDINGS
}
