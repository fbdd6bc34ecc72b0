package io.github.ggml4j.session;

import java.util.List;
import java.util.Objects;

/**
 * What to generate. Decoding is greedy (the most likely token each step, as {@code --temp 0}).
 *
 * {@snippet :
 * GenerateOptions opts = GenerateOptions.greedy(64).withStop(List.of("\n\n"));
 * }
 *
 * @param maxTokens    the most tokens to generate (at least 1)
 * @param stop         strings that end generation when produced (not included in the text)
 * @param addSpecial   add the model's BOS/EOS tokens around the prompt as its metadata says
 * @param parseSpecial recognise special-token text (e.g. {@code <|im_start|>}) in the prompt
 */
public record GenerateOptions(int maxTokens, List<String> stop, boolean addSpecial, boolean parseSpecial) {

    public GenerateOptions {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be >= 1, got " + maxTokens);
        }
        stop = List.copyOf(Objects.requireNonNull(stop, "stop"));
        for (String s : stop) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be empty");
            }
        }
    }

    /** Greedy decoding of up to {@code maxTokens} tokens, special tokens added and parsed. */
    public static GenerateOptions greedy(int maxTokens) {
        return new GenerateOptions(maxTokens, List.of(), true, true);
    }

    public GenerateOptions withStop(List<String> value) {
        return new GenerateOptions(maxTokens, value, addSpecial, parseSpecial);
    }

    public GenerateOptions withAddSpecial(boolean value) {
        return new GenerateOptions(maxTokens, stop, value, parseSpecial);
    }

    public GenerateOptions withParseSpecial(boolean value) {
        return new GenerateOptions(maxTokens, stop, addSpecial, value);
    }
}
