package io.github.ggml4j.sampling;

import java.util.Map;
import java.util.Objects;

/**
 * How the next token is chosen: llama.cpp's samplers with its names, defaults and order (logit bias,
 * penalties, top-k, typical-p, top-p, min-p, temperature, then a seeded draw). Invalid values are refused
 * (case 38).
 *
 * {@snippet :
 * SamplingOptions s = SamplingOptions.defaults().withTemperature(0.7f).withTopK(50).withSeed(42);
 * }
 *
 * @param temperature      0 or below picks the most likely token (greedy); otherwise divides the logits
 * @param topK             keep the k most likely tokens; 0 keeps all
 * @param topP             keep the most likely tokens whose probabilities add up to p; 1 disables
 * @param minP             keep tokens at least p times as likely as the best; 0 disables
 * @param typicalP         locally typical sampling mass; 1 disables
 * @param repeatLastN      how many recent tokens (prompt included) the penalties look at; 0 disables them
 * @param repeatPenalty    divides positive (multiplies negative) logits of recent tokens; 1 disables
 * @param frequencyPenalty subtracted per occurrence in the window
 * @param presencePenalty  subtracted once for a token present in the window
 * @param seed             the draw's seed (llama.cpp's {@code --seed}); the same seed and options give the same tokens
 * @param logitBias        added to the logits of these token ids (negative infinity bans a token)
 * @param dynatempRange    dynamic temperature: the temperature moves within +- this by the entropy; 0 disables
 * @param dynatempExponent how the normalized entropy maps to the temperature range
 * @param xtcProbability   "exclude top choices": the chance per token of removing all but the least likely of the
 *                         tokens above the threshold; 0 disables
 * @param xtcThreshold     the probability a top choice must have for XTC; above 0.5 disables
 * @param mirostat         0 off, 1 Mirostat, 2 Mirostat 2.0 (then only temperature and logit bias apply besides)
 * @param mirostatTau      Mirostat's target surprise
 * @param mirostatEta      Mirostat's learning rate
 * @param dry              DRY repetition penalty (after the penalties, before top-k, as in llama.cpp)
 */
public record SamplingOptions(float temperature, int topK, float topP, float minP, float typicalP, int repeatLastN,
                              float repeatPenalty, float frequencyPenalty, float presencePenalty, long seed,
                              Map<Integer, Float> logitBias, float dynatempRange, float dynatempExponent,
                              float xtcProbability, float xtcThreshold, int mirostat, float mirostatTau,
                              float mirostatEta, DryOptions dry) {

    /** Without DRY. */
    public SamplingOptions(float temperature, int topK, float topP, float minP, float typicalP, int repeatLastN,
                           float repeatPenalty, float frequencyPenalty, float presencePenalty, long seed,
                           Map<Integer, Float> logitBias, float dynatempRange, float dynatempExponent,
                           float xtcProbability, float xtcThreshold, int mirostat, float mirostatTau,
                           float mirostatEta) {
        this(temperature, topK, topP, minP, typicalP, repeatLastN, repeatPenalty, frequencyPenalty, presencePenalty,
                seed, logitBias, dynatempRange, dynatempExponent, xtcProbability, xtcThreshold, mirostat, mirostatTau,
                mirostatEta, DryOptions.DEFAULTS);
    }

    /** Without dynamic temperature, XTC or Mirostat. */
    public SamplingOptions(float temperature, int topK, float topP, float minP, float typicalP, int repeatLastN,
                           float repeatPenalty, float frequencyPenalty, float presencePenalty, long seed,
                           Map<Integer, Float> logitBias) {
        this(temperature, topK, topP, minP, typicalP, repeatLastN, repeatPenalty, frequencyPenalty, presencePenalty,
                seed, logitBias, 0, 1, 0, 0.1f, 0, 5, 0.1f);
    }

    public SamplingOptions {
        finite("temperature", temperature);
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0 (0: all tokens), got " + topK);
        }
        unit("top-p", topP);
        unit("min-p", minP);
        unit("typical-p", typicalP);
        if (repeatLastN < 0) {
            throw new IllegalArgumentException("repeat-last-n must be >= 0, got " + repeatLastN);
        }
        finite("repeat penalty", repeatPenalty);
        if (repeatPenalty <= 0) {
            throw new IllegalArgumentException("repeat penalty must be positive, got " + repeatPenalty);
        }
        finite("frequency penalty", frequencyPenalty);
        finite("presence penalty", presencePenalty);
        if (seed < 0 || seed > 0xffffffffL) {
            throw new IllegalArgumentException("seed must be a 32-bit unsigned value, got " + seed);
        }
        finite("dynamic temperature range", dynatempRange);
        finite("dynamic temperature exponent", dynatempExponent);
        unit("XTC probability", xtcProbability);
        finite("XTC threshold", xtcThreshold);
        if (mirostat < 0 || mirostat > 2) {
            throw new IllegalArgumentException("mirostat must be 0, 1 or 2, got " + mirostat);
        }
        finite("mirostat tau", mirostatTau);
        finite("mirostat eta", mirostatEta);
        Objects.requireNonNull(dry, "dry");
        logitBias = Map.copyOf(Objects.requireNonNull(logitBias, "logitBias"));
        for (Map.Entry<Integer, Float> e : logitBias.entrySet()) {
            if (e.getKey() < 0 || Float.isNaN(e.getValue()) || e.getValue() == Float.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("bad logit bias " + e.getKey() + " -> " + e.getValue());
            }
        }
    }

    private static void finite(String what, float v) {
        if (!Float.isFinite(v)) {
            throw new IllegalArgumentException(what + " must be a finite number, got " + v);
        }
    }

    private static void unit(String what, float v) {
        if (!(v >= 0 && v <= 1)) {
            throw new IllegalArgumentException(what + " must be in [0, 1], got " + v);
        }
    }

    /** llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, penalties off, seed 0. */
    public static SamplingOptions defaults() {
        return new SamplingOptions(0.8f, 40, 0.95f, 0.05f, 1.0f, 64, 1.0f, 0.0f, 0.0f, 0, Map.of(), 0, 1, 0, 0.1f, 0,
                5, 0.1f);
    }

    /** The most likely token every step. */
    public static SamplingOptions greedy() {
        return defaults().withTemperature(0);
    }

    public SamplingOptions withDry(DryOptions v) {
        return new SamplingOptions(temperature, topK, topP, minP, typicalP, repeatLastN, repeatPenalty, frequencyPenalty,
                presencePenalty, seed, logitBias, dynatempRange, dynatempExponent, xtcProbability,
                xtcThreshold, mirostat, mirostatTau, mirostatEta, v);
    }

    public boolean isGreedy() {
        return temperature <= 0 && !dry.enabled() && mirostat == 0 && logitBias.isEmpty() && (repeatLastN == 0
                || (repeatPenalty == 1 && frequencyPenalty == 0 && presencePenalty == 0));
    }

    public SamplingOptions withTemperature(float v) {
        return new SamplingOptions(v, topK, topP, minP, typicalP, repeatLastN, repeatPenalty, frequencyPenalty,
                presencePenalty, seed, logitBias, dynatempRange, dynatempExponent, xtcProbability,
                xtcThreshold, mirostat, mirostatTau, mirostatEta, dry);
    }

    public SamplingOptions withTopK(int v) {
        return new SamplingOptions(temperature, v, topP, minP, typicalP, repeatLastN, repeatPenalty, frequencyPenalty,
                presencePenalty, seed, logitBias, dynatempRange, dynatempExponent, xtcProbability,
                xtcThreshold, mirostat, mirostatTau, mirostatEta, dry);
    }

    public SamplingOptions withTopP(float v) {
        return new SamplingOptions(temperature, topK, v, minP, typicalP, repeatLastN, repeatPenalty, frequencyPenalty,
                presencePenalty, seed, logitBias, dynatempRange, dynatempExponent, xtcProbability,
                xtcThreshold, mirostat, mirostatTau, mirostatEta, dry);
    }

    public SamplingOptions withMinP(float v) {
        return new SamplingOptions(temperature, topK, topP, v, typicalP, repeatLastN, repeatPenalty, frequencyPenalty,
                presencePenalty, seed, logitBias, dynatempRange, dynatempExponent, xtcProbability,
                xtcThreshold, mirostat, mirostatTau, mirostatEta, dry);
    }

    public SamplingOptions withTypicalP(float v) {
        return new SamplingOptions(temperature, topK, topP, minP, v, repeatLastN, repeatPenalty, frequencyPenalty,
                presencePenalty, seed, logitBias, dynatempRange, dynatempExponent, xtcProbability,
                xtcThreshold, mirostat, mirostatTau, mirostatEta, dry);
    }

    public SamplingOptions withPenalties(int lastN, float repeat, float frequency, float presence) {
        return new SamplingOptions(temperature, topK, topP, minP, typicalP, lastN, repeat, frequency, presence, seed,
                logitBias, dynatempRange, dynatempExponent, xtcProbability,
                xtcThreshold, mirostat, mirostatTau, mirostatEta, dry);
    }

    public SamplingOptions withSeed(long v) {
        return new SamplingOptions(temperature, topK, topP, minP, typicalP, repeatLastN, repeatPenalty, frequencyPenalty,
                presencePenalty, v, logitBias, dynatempRange, dynatempExponent, xtcProbability,
                xtcThreshold, mirostat, mirostatTau, mirostatEta, dry);
    }

    public SamplingOptions withLogitBias(Map<Integer, Float> v) {
        return new SamplingOptions(temperature, topK, topP, minP, typicalP, repeatLastN, repeatPenalty, frequencyPenalty,
                presencePenalty, seed, v, dynatempRange, dynatempExponent, xtcProbability,
                xtcThreshold, mirostat, mirostatTau, mirostatEta, dry);
    }

    public SamplingOptions withDynamicTemperature(float range, float exponent) {
        return new SamplingOptions(temperature, topK, topP, minP, typicalP, repeatLastN, repeatPenalty, frequencyPenalty,
                presencePenalty, seed, logitBias, range, exponent, xtcProbability, xtcThreshold, mirostat, mirostatTau,
                mirostatEta, dry);
    }

    public SamplingOptions withXtc(float probability, float threshold) {
        return new SamplingOptions(temperature, topK, topP, minP, typicalP, repeatLastN, repeatPenalty, frequencyPenalty,
                presencePenalty, seed, logitBias, dynatempRange, dynatempExponent, probability, threshold, mirostat,
                mirostatTau, mirostatEta, dry);
    }

    public SamplingOptions withMirostat(int version, float tau, float eta) {
        return new SamplingOptions(temperature, topK, topP, minP, typicalP, repeatLastN, repeatPenalty, frequencyPenalty,
                presencePenalty, seed, logitBias, dynatempRange, dynatempExponent, xtcProbability, xtcThreshold, version,
                tau, eta, dry);
    }
}
