package io.github.ggml4j.sampling;

import java.util.List;
import java.util.Objects;

/**
 * DRY ("don't repeat yourself"): penalizes a token that would extend a sequence already seen in the context, by
 * {@code multiplier * base^(length - allowedLength)}, where a sequence breaker (text such as {@code "\n"}) cuts
 * the sequences it meets. llama.cpp's parameters and defaults ({@code --dry-*}).
 *
 * {@snippet :
 * SamplingOptions s = SamplingOptions.defaults().withDry(DryOptions.DEFAULTS.withMultiplier(0.8f));
 * }
 *
 * @param multiplier    0 disables DRY
 * @param base          the growth of the penalty per extra repeated token (at least 1)
 * @param allowedLength repeats up to this length are not penalized
 * @param penaltyLastN  how many recent tokens (prompt included) are searched; 0 disables
 * @param breakers      texts that end a repeated sequence
 */
public record DryOptions(float multiplier, float base, int allowedLength, int penaltyLastN, List<String> breakers) {

    /** Disabled (multiplier 0) with llama.cpp's other defaults: base 1.75, length 2, last 64, {@code \n : " *}. */
    public static final DryOptions DEFAULTS = new DryOptions(0, 1.75f, 2, 64, List.of("\n", ":", "\"", "*"));

    public DryOptions {
        if (!Float.isFinite(multiplier) || multiplier < 0) {
            throw new IllegalArgumentException("DRY multiplier must be a finite number >= 0, got " + multiplier);
        }
        if (!Float.isFinite(base)) {
            throw new IllegalArgumentException("DRY base must be finite, got " + base);
        }
        if (allowedLength < 0) {
            throw new IllegalArgumentException("DRY allowed length must be >= 0, got " + allowedLength);
        }
        if (penaltyLastN < 0) {
            throw new IllegalArgumentException("DRY penalty last n must be 0 (off) or positive, got " + penaltyLastN);
        }
        breakers = List.copyOf(Objects.requireNonNull(breakers, "breakers"));
        for (String b : breakers) {
            if (b.isEmpty()) {
                throw new IllegalArgumentException("a DRY sequence breaker must not be empty");
            }
        }
    }

    /** Whether DRY changes anything (llama.cpp's test: multiplier != 0, base >= 1, last n != 0). */
    public boolean enabled() {
        return multiplier != 0 && base >= 1 && penaltyLastN != 0;
    }

    public DryOptions withMultiplier(float v) {
        return new DryOptions(v, base, allowedLength, penaltyLastN, breakers);
    }

    public DryOptions withBase(float v) {
        return new DryOptions(multiplier, v, allowedLength, penaltyLastN, breakers);
    }

    public DryOptions withAllowedLength(int v) {
        return new DryOptions(multiplier, base, v, penaltyLastN, breakers);
    }

    public DryOptions withPenaltyLastN(int v) {
        return new DryOptions(multiplier, base, allowedLength, v, breakers);
    }

    public DryOptions withBreakers(List<String> v) {
        return new DryOptions(multiplier, base, allowedLength, penaltyLastN, v);
    }
}
