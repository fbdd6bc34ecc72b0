package io.github.ggml4j.runtime;

import io.github.ggml4j.arch.Recipe;
import io.github.ggml4j.memory.EncoderOutputs;
import io.github.ggml4j.model.Model;

import java.util.Optional;

/**
 * How a prompt enters an encoder–decoder model (T5): its tokens go through the encoder once, the encoder's
 * token states are stored in the decoder's memory for the session's sequence (which forgets what it held),
 * and the decoder is prompted with its start token. Other models take the prompt as it is.
 */
public final class EncoderDecoderPrompts {

    private EncoderDecoderPrompts() {
    }

    /**
     * Starts the encoder of an encoder–decoder model: a second engine over the same weights (the encoder's
     * recipe, no cache), with the decoder's threads, flash attention and micro-batch. When both engines'
     * threads do not fit in the CPUs it computes on another engine's thread ({@link ComputeHosts}).
     *
     * @throws io.github.ggml4j.ModelException if the model has no encoder
     */
    public static Engine startEncoder(LoadedModel model, EngineOptions decoder) {
        Recipe<Object> enc = model.encoderDecoder().orElseThrow(() ->
                new io.github.ggml4j.ModelException(model.hparams().arch() + " has no encoder")).encoder();
        return Engine.start(model.view(enc), new EngineOptions(decoder.ubatchSize(), decoder.ubatchSize(),
                decoder.threads(), decoder.flashAttention(), decoder.kvType(), 0, 0, false));
    }

    /** Whether the engine's model is an encoder–decoder. */
    public static boolean isEncoderDecoder(Engine engine) {
        return engine.model().encoderDecoder().isPresent();
    }

    /**
     * The decoder's prompt for {@code prompt}: the start token, after encoding {@code prompt} for {@code seq},
     * for an encoder–decoder; {@code prompt} itself otherwise, and for an empty prompt (which continues).
     *
     * @throws io.github.ggml4j.ContextOverflowException if the prompt is longer than the encoder reads at once
     */
    public static int[] prepare(Model model, Engine engine, Sequence seq, int[] prompt) {
        Optional<Recipe.EncoderDecoder<Object>> ed = engine.model().encoderDecoder();
        if (ed.isEmpty() || prompt.length == 0) {
            return prompt;
        }
        Engine encoder = ModelAccess.get().encoderEngine(model);
        float[][] states = Embeddings.perToken(encoder, prompt, Integer.MAX_VALUE);
        engine.truncate(seq, 0);
        engine.call(() -> {
            ((EncoderOutputs) engine.memory()).putEncoderOutput(seq.id, states);
            return null;
        });
        return new int[] {ed.get().startToken()};
    }
}
