package io.github.ggml4j.train;

import io.github.ggml4j.gguf.GgufWriter;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The untrained demo model: a Llama (RMSNorm, RoPE, SwiGLU) in F32 with GPT-2-style initial weights (normal,
 * std 0.02; the two projections back into the residual stream scaled by 1/sqrt(2·layers)) and a byte-level
 * BPE vocabulary trained on the corpus. {@link Trainer} trains it in place of its tensors.
 *
 * {@snippet :
 * LlamaShape shape = LlamaShape.DEMO;
 * DemoModelInit.write(shape, BpeTrainer.train(text, shape.vocabSize() - 2), 1234, Path.of("init-f32.gguf"));
 * }
 */
public final class DemoModelInit {

    /**
     * A chat template for a model that never saw chat: it asks in the "Q: … A: …" form the corpus's riddles use.
     */
    static final String CHAT_TEMPLATE = "{{ bos_token }}{% for message in messages %}"
            + "{% if message['role'] == 'user' %}{{ 'Q: ' + message['content'] | trim + '\\n' }}"
            + "{% elif message['role'] == 'assistant' %}{{ 'A: ' + message['content'] | trim + eos_token }}"
            + "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'A:' }}{% endif %}";

    private DemoModelInit() {
    }

    /**
     * Writes the untrained model (atomically): {@code vocab} plus the two special tokens must make exactly
     * {@code shape.vocabSize()} tokens.
     */
    public static void write(LlamaShape shape, BpeTrainer.Vocab vocab, long seed, Path out) {
        List<String> tokens = new ArrayList<>(vocab.tokens());
        if (tokens.size() + 2 != shape.vocabSize()) {
            throw new IllegalArgumentException("the vocabulary has " + tokens.size() + " tokens plus 2 special, the"
                    + " shape wants " + shape.vocabSize() + " (the corpus may be too small for that many merges)");
        }
        int[] types = new int[tokens.size() + 2];
        Arrays.fill(types, 1); // NORMAL
        int bos = tokens.size();
        tokens.add(DemoCorpus.BEGIN);
        types[bos] = 3; // CONTROL
        int eos = tokens.size();
        tokens.add(DemoCorpus.END);
        types[eos] = 4; // USER_DEFINED: matched in plain text by every tokenizer, so training data can hold it
        int nVocab = tokens.size();

        GgufWriter w = new GgufWriter();
        String a = "llama.";
        w.putString("general.architecture", "llama")
                .putString("general.name", "ggml4j-demo")
                .putString("general.license", "BSD-3-Clause (training text: Debian package fortunes-min/fortunes)")
                .putUInt32(a + "context_length", shape.contextLength())
                .putUInt32(a + "embedding_length", shape.nEmbd())
                .putUInt32(a + "block_count", shape.nLayer())
                .putUInt32(a + "feed_forward_length", shape.nFf())
                .putUInt32(a + "attention.head_count", shape.nHead())
                .putUInt32(a + "attention.head_count_kv", shape.nHead())
                .putUInt32(a + "rope.dimension_count", shape.headDim())
                .putFloat32(a + "attention.layer_norm_rms_epsilon", 1e-5f)
                .putFloat32(a + "rope.freq_base", 10000f)
                .putUInt32(a + "vocab_size", nVocab)
                .putUInt32("general.file_type", 0) // ALL_F32
                .putString("tokenizer.ggml.model", "gpt2")
                .putString("tokenizer.ggml.pre", "gpt-2")
                .putStrings("tokenizer.ggml.tokens", tokens)
                .putInts("tokenizer.ggml.token_type", types)
                .putStrings("tokenizer.ggml.merges", vocab.merges())
                .putUInt32("tokenizer.ggml.bos_token_id", bos)
                .putUInt32("tokenizer.ggml.eos_token_id", eos)
                .putBool("tokenizer.ggml.add_bos_token", true)
                .putBool("tokenizer.ggml.add_eos_token", false)
                .putString("tokenizer.chat_template", CHAT_TEMPLATE);

        SplittableRandom rnd = new SplittableRandom(seed);
        double std = 0.02;
        double residualStd = std / Math.sqrt(2.0 * shape.nLayer());
        int e = shape.nEmbd();
        int ff = shape.nFf();
        w.addTensor("token_embd.weight", normal(rnd, (long) e * nVocab, std), e, nVocab);
        for (int il = 0; il < shape.nLayer(); il++) {
            String p = "blk." + il + ".";
            w.addTensor(p + "attn_norm.weight", ones(e), e);
            w.addTensor(p + "attn_q.weight", normal(rnd, (long) e * e, std), e, e);
            w.addTensor(p + "attn_k.weight", normal(rnd, (long) e * e, std), e, e);
            w.addTensor(p + "attn_v.weight", normal(rnd, (long) e * e, std), e, e);
            w.addTensor(p + "attn_output.weight", normal(rnd, (long) e * e, residualStd), e, e);
            w.addTensor(p + "ffn_norm.weight", ones(e), e);
            w.addTensor(p + "ffn_gate.weight", normal(rnd, (long) e * ff, std), e, ff);
            w.addTensor(p + "ffn_up.weight", normal(rnd, (long) e * ff, std), e, ff);
            w.addTensor(p + "ffn_down.weight", normal(rnd, (long) ff * e, residualStd), ff, e);
        }
        w.addTensor("output_norm.weight", ones(e), e);
        w.addTensor("output.weight", normal(rnd, (long) e * nVocab, std), e, nVocab);
        w.write(out);
    }

    private static float[] normal(SplittableRandom rnd, long n, double std) {
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextGaussian() * std);
        }
        return v;
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        Arrays.fill(v, 1f);
        return v;
    }
}
