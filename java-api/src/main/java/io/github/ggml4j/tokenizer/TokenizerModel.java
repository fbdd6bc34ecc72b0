package io.github.ggml4j.tokenizer;

import io.github.ggml4j.TokenizerException;

/**
 * The tokenization algorithm, from {@code tokenizer.ggml.model}.
 *
 * {@snippet :
 * TokenizerModel m = TokenizerModel.fromGgufName("gpt2"); // BPE
 * }
 */
public enum TokenizerModel {
    /** SentencePiece-style: score-driven bigram merges with byte fallback ({@code "llama"}). */
    SPM("llama"),
    /** Byte-pair encoding with merge ranks and a pre-tokenizer ({@code "gpt2"}, {@code "gemma4"}). */
    BPE("gpt2"),
    /** WordPiece: greedy longest match per word ({@code "bert"}). */
    WPM("bert"),
    /** Unigram (SentencePiece's UGM, T5): the most probable segmentation by Viterbi ({@code "t5"}). */
    UGM("t5"),
    /** RWKV "world": greedy longest match over the unescaped token bytes ({@code "rwkv"}). */
    RWKV("rwkv");

    private final String ggufName;

    TokenizerModel(String ggufName) {
        this.ggufName = ggufName;
    }

    /** The usual {@code tokenizer.ggml.model} value. */
    public String ggufName() {
        return ggufName;
    }

    /**
     * The model for a {@code tokenizer.ggml.model} value. {@code "gemma4"} is BPE over raw UTF-8 with the
     * {@code gemma4} pre-tokenizer (see {@link Vocabulary.Builder}).
     *
     * @throws TokenizerException for models ggml4j does not implement (plamo2, ...)
     */
    public static TokenizerModel fromGgufName(String name) {
        return switch (name) {
            case "llama" -> SPM;
            case "gpt2", "gemma4" -> BPE;
            case "bert" -> WPM;
            case "t5" -> UGM;
            case "rwkv" -> RWKV;
            default -> throw new TokenizerException("unsupported tokenizer model '" + name
                    + "' (supported: llama, gpt2, gemma4, bert, t5, rwkv)");
        };
    }
}
