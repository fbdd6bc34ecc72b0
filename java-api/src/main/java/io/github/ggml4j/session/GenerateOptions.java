package io.github.ggml4j.session;

import io.github.ggml4j.grammar.Grammar;
import io.github.ggml4j.sampling.LogitsProcessor;
import io.github.ggml4j.sampling.SamplingOptions;

import java.util.List;
import java.util.Objects;

/**
 * What to generate, and how each token is chosen ({@link SamplingOptions}; greedy unless asked otherwise).
 *
 * {@snippet :
 * GenerateOptions opts = GenerateOptions.greedy(64).withStop(List.of("\n\n"));
 * GenerateOptions sampled = GenerateOptions.sampled(64, SamplingOptions.defaults().withSeed(42));
 * }
 *
 * @param maxTokens    the most tokens to generate (at least 1)
 * @param stop         strings that end generation when produced (not included in the text)
 * @param addSpecial   add the model's BOS/EOS tokens around the prompt as its metadata says
 * @param parseSpecial recognise special-token text (e.g. {@code <|im_start|>}) in the prompt
 * @param sampling     how the next token is chosen
 * @param logprobs     0, or how many of the most likely alternatives each {@link Token} of a stream lists with
 *                     their log-probabilities (the token's own log-probability is given from 1 on)
 * @param processor    user code that edits the logits before sampling, or null
 * @param grammar      constrains the output to a grammar ({@link Grammar}), or null
 */
public record GenerateOptions(int maxTokens, List<String> stop, boolean addSpecial, boolean parseSpecial,
                              SamplingOptions sampling, int logprobs, LogitsProcessor processor, Grammar grammar) {

    /** Without a grammar. */
    public GenerateOptions(int maxTokens, List<String> stop, boolean addSpecial, boolean parseSpecial,
                           SamplingOptions sampling, int logprobs, LogitsProcessor processor) {
        this(maxTokens, stop, addSpecial, parseSpecial, sampling, logprobs, processor, null);
    }

    public GenerateOptions {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be >= 1, got " + maxTokens);
        }
        stop = List.copyOf(Objects.requireNonNull(stop, "stop"));
        Objects.requireNonNull(sampling, "sampling");
        if (logprobs < 0 || logprobs > 100) {
            throw new IllegalArgumentException("logprobs must be in 0..100, got " + logprobs);
        }
        for (String s : stop) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be empty");
            }
        }
    }

    /** Greedy decoding of up to {@code maxTokens} tokens, special tokens added and parsed. */
    public static GenerateOptions greedy(int maxTokens) {
        return new GenerateOptions(maxTokens, List.of(), true, true, SamplingOptions.greedy(), 0, null);
    }

    /** Up to {@code maxTokens} tokens chosen by {@code sampling}, special tokens added and parsed. */
    public static GenerateOptions sampled(int maxTokens, SamplingOptions sampling) {
        return new GenerateOptions(maxTokens, List.of(), true, true, sampling, 0, null);
    }

    public GenerateOptions withSampling(SamplingOptions value) {
        return new GenerateOptions(maxTokens, stop, addSpecial, parseSpecial, value, logprobs, processor, grammar);
    }

    public GenerateOptions withStop(List<String> value) {
        return new GenerateOptions(maxTokens, value, addSpecial, parseSpecial, sampling, logprobs, processor, grammar);
    }

    public GenerateOptions withAddSpecial(boolean value) {
        return new GenerateOptions(maxTokens, stop, value, parseSpecial, sampling, logprobs, processor, grammar);
    }

    public GenerateOptions withParseSpecial(boolean value) {
        return new GenerateOptions(maxTokens, stop, addSpecial, value, sampling, logprobs, processor, grammar);
    }

    public GenerateOptions withLogprobs(int value) {
        return new GenerateOptions(maxTokens, stop, addSpecial, parseSpecial, sampling, value, processor, grammar);
    }

    public GenerateOptions withLogitsProcessor(LogitsProcessor value) {
        return new GenerateOptions(maxTokens, stop, addSpecial, parseSpecial, sampling, logprobs, value, grammar);
    }

    /**
     * Only output the grammar accepts (null: unconstrained); generation can end only where the grammar is complete.
     *
     * {@snippet :
     * GenerateOptions o = GenerateOptions.greedy(8).withGrammar(Grammar.choice("yes", "no"));
     * }
     */
    public GenerateOptions withGrammar(Grammar value) {
        return new GenerateOptions(maxTokens, stop, addSpecial, parseSpecial, sampling, logprobs, processor, value);
    }
}
