package io.github.ggml4j.sampling;

/** One step of a chain: narrows or reshapes the candidates, or picks one. */
sealed interface Sampler permits Penalties, Dry, LogitBias, TopK, TypicalP, TopP, MinP, Xtc, Temperature, Dist, Mirostat {

    void apply(Candidates c);

    /** A token was generated (or, for the prompt, evaluated). */
    default void accept(int token) {
    }
}
