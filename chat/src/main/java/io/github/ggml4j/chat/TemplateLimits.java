package io.github.ggml4j.chat;

import java.time.Duration;
import java.util.Objects;

/**
 * What one chat-template render may use: a template comes from the model file, so it is untrusted input.
 *
 * @param maxOutputChars    characters of output, and of any string built on the way
 * @param maxSteps          template nodes rendered (each loop iteration's body counts again)
 * @param maxRenderTime     wall time of one render
 * @param maxCollectionSize items in a list or dict, and the length of a {@code range}
 * @param maxNesting        depth of macro calls and nested blocks
 */
public record TemplateLimits(long maxOutputChars, long maxSteps, Duration maxRenderTime, int maxCollectionSize,
                             int maxNesting) {

    /** 4 M characters, 2 M steps, 5 s, 100 000 items, 64 levels: far above what real templates need. */
    public static final TemplateLimits DEFAULT =
            new TemplateLimits(4L << 20, 2_000_000, Duration.ofSeconds(5), 100_000, 64);

    public TemplateLimits {
        Objects.requireNonNull(maxRenderTime, "maxRenderTime");
        if (maxOutputChars < 1 || maxSteps < 1 || maxCollectionSize < 1 || maxNesting < 1) {
            throw new IllegalArgumentException("template limits must be >= 1");
        }
        if (maxRenderTime.isNegative() || maxRenderTime.isZero()) {
            throw new IllegalArgumentException("maxRenderTime must be positive");
        }
    }
}
