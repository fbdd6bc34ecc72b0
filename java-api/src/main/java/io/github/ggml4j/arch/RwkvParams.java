package io.github.ggml4j.arch;

import io.github.ggml4j.ModelException;

/**
 * The hyper-parameters of an RWKV model beyond a transformer's ({@code <arch>.wkv.head_size} and friends),
 * read by {@link HParamsReader#readRwkv}; carried in {@link HParams#rwkv()} (null for attention models).
 *
 * @param headSize             width of one WKV head ({@code wkv.head_size}); heads = n_embd / headSize
 * @param tokenShiftCount      token-shift vectors kept per layer ({@code token_shift_count}, 2: time and channel mix)
 * @param normEps              layer-norm epsilon ({@code attention.layer_norm_epsilon})
 * @param timeMixExtraDim      RWKV-6: rank of the data-dependent token-shift LoRA ({@code time_mix_extra_dim})
 * @param timeDecayExtraDim    RWKV-6: rank of the decay LoRA ({@code time_decay_extra_dim})
 * @param rescaleEveryNLayers  RWKV-6: halve the residual every n layers (0: never)
 * @param loraDecay            RWKV-7: decay LoRA rank ({@code attention.decay_lora_rank})
 * @param loraIclr             RWKV-7: in-context learning rate LoRA rank ({@code attention.iclr_lora_rank})
 * @param loraValueResMix      RWKV-7: value residual mix LoRA rank
 * @param loraGate             RWKV-7: gate LoRA rank ({@code attention.gate_lora_rank})
 */
public record RwkvParams(int headSize, int tokenShiftCount, float normEps, int timeMixExtraDim,
                         int timeDecayExtraDim, int rescaleEveryNLayers, int loraDecay, int loraIclr,
                         int loraValueResMix, int loraGate) {

    public RwkvParams {
        if (headSize <= 0) {
            throw new ModelException("rwkv: wkv.head_size must be positive, got " + headSize);
        }
        if (tokenShiftCount != 2) {
            throw new ModelException("rwkv: token_shift_count must be 2 (time mix and channel mix), got " + tokenShiftCount);
        }
        if (!(normEps > 0 && normEps < 1)) {
            throw new ModelException("rwkv: attention.layer_norm_epsilon " + normEps + " is not in (0, 1)");
        }
        if (timeMixExtraDim < 0 || timeDecayExtraDim < 0 || rescaleEveryNLayers < 0 || loraDecay < 0
                || loraIclr < 0 || loraValueResMix < 0 || loraGate < 0) {
            throw new ModelException("rwkv: LoRA ranks and rescale_every_n_layers must not be negative");
        }
    }

    /** Floats of token-shift state per layer and sequence (llama.cpp's n_embd_r). */
    public long shiftFloats(int nEmbd) {
        return (long) tokenShiftCount * nEmbd;
    }

    /** Floats of WKV state per layer and sequence (llama.cpp's n_embd_s: n_embd × head size). */
    public long wkvFloats(int nEmbd) {
        return (long) nEmbd * headSize;
    }
}
