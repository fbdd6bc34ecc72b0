package io.github.ggml4j.arch;

import io.github.ggml4j.ModelException;
import io.github.ggml4j.gguf.GgufMetadata;
import io.github.ggml4j.memory.EncoderDecoderMemory;
import io.github.ggml4j.memory.EncoderMemory;
import io.github.ggml4j.memory.Memory;
import io.github.ggml4j.memory.MemorySpec;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;

/**
 * T5 ({@code t5}, Raffel et al. 2020; flan-T5, mT5): an encoder–decoder. The encoder ({@link T5EncoderRecipe}'s
 * stack) reads each prompt once; the decoder's pre-norm blocks are causal self-attention over its own KV cache
 * with one-directional relative position buckets → residual → RMSNorm → cross-attention over the encoder states
 * of its sequence → residual → RMSNorm → ReLU or GELU-gated FFN → residual; then the final RMSNorm and the
 * output head (or the token embeddings, tied). Scores are unscaled everywhere. Generation starts from
 * {@code decoder_start_token_id}.
 *
 * {@snippet :
 * try (Model t5 = Model.load(Path.of("flan-t5-small-f16.gguf")); Session s = t5.newSession()) {
 *     String german = s.generate("translate English to German: The house is wonderful.",
 *             GenerateOptions.greedy(32)).text();
 * }
 * }
 */
public final class T5Recipe implements Recipe<T5Recipe.Weights> {

    /** A decoder block: self-attention and FFN as in the encoder's blocks, plus cross-attention. */
    public record DecoderLayer(T5EncoderRecipe.Layer self, MemorySegment crossNorm, MemorySegment wqCross,
                               MemorySegment wkCross, MemorySegment wvCross, MemorySegment woCross) {
    }

    /** Both stacks' weights; the head is the token embeddings when the file has no {@code output.weight}. */
    public record Weights(MemorySegment tokEmbd, List<T5EncoderRecipe.Layer> encoder, MemorySegment encoderNorm,
                          List<DecoderLayer> decoder, MemorySegment decoderNorm, MemorySegment output) {

        public Weights {
            encoder = List.copyOf(encoder);
            decoder = List.copyOf(decoder);
        }
    }

    @Override
    public String name() {
        return "t5";
    }

    /** The decoder's hyper-parameters: {@code nLayer} is the decoder's block count (its KV cache has those). */
    @Override
    public HParams hparams(GgufMetadata md) {
        HParams hp = new HParamsReader(md, name()).read(HParams.ROPE_NORMAL, 0);
        int decoderLayers = md.optInt(name() + ".decoder_block_count").orElse(hp.nLayer());
        if (decoderLayers <= 0) {
            throw new ModelException(name() + ": decoder_block_count " + decoderLayers + " must be positive");
        }
        return hp.forLayers(decoderLayers);
    }

    @Override
    public Memory newMemory(MemorySpec spec) {
        return new EncoderDecoderMemory(spec);
    }

    @Override
    public long memoryBytes(MemorySpec spec) {
        return EncoderDecoderMemory.bytes(spec);
    }

    @Override
    public Optional<EncoderDecoder<Weights>> encoderDecoder(GgufMetadata md) {
        int start = md.optInt(name() + ".decoder_start_token_id")
                .orElse(md.optInt("tokenizer.ggml.bos_token_id").orElse(-1));
        return Optional.of(new EncoderDecoder<>(new Encoder(), start));
    }

    /** The relative position buckets, from the first block's bias [n_head, n_buckets] (even, at least 2). */
    private static int buckets(WeightSource w, String name, HParams hp) {
        long[] shape = w.shapeOf(name).orElseThrow(() -> new ModelException("T5: the first block has no relative "
                + "position bias (" + name + ")"));
        if (shape.length != 2 || shape[0] != hp.nHead() || shape[1] < 2 || shape[1] % 2 != 0 || shape[1] > 1 << 16) {
            throw new ModelException("T5: " + name + " must be [" + hp.nHead() + ", an even bucket count], not "
                    + java.util.Arrays.toString(shape));
        }
        return (int) shape[1];
    }

    @Override
    public Weights bind(WeightSource w, HParams hp) {
        int encoderLayers = 0;
        while (w.has("enc.blk." + encoderLayers + ".attn_q.weight")) {
            encoderLayers++;
        }
        if (encoderLayers == 0) {
            throw new ModelException("T5: the file has no encoder blocks (enc.blk.0.*)");
        }
        List<T5EncoderRecipe.Layer> enc = T5EncoderRecipe.bindEncoderLayers(w, hp, encoderLayers,
                buckets(w, "enc.blk.0.attn_rel_b.weight", hp), false);
        int nBuckets = buckets(w, "dec.blk.0.attn_rel_b.weight", hp);
        long nEmbd = hp.nEmbd();
        long nQ = hp.nEmbdQ();
        DecoderLayer[] dec = new DecoderLayer[hp.nLayer()];
        for (int il = 0; il < hp.nLayer(); il++) {
            String p = "dec.blk." + il + ".";
            dec[il] = new DecoderLayer(T5EncoderRecipe.bindLayer(w, hp, p, il, nBuckets),
                    w.require(p + "cross_attn_norm.weight", WeightUse.MUL, il, nEmbd),
                    w.require(p + "cross_attn_q.weight", WeightUse.MUL_MAT, il, nEmbd, nQ),
                    w.require(p + "cross_attn_k.weight", WeightUse.MUL_MAT, il, nEmbd, hp.nEmbdKGqa()),
                    w.require(p + "cross_attn_v.weight", WeightUse.MUL_MAT, il, nEmbd, hp.nEmbdVGqa()),
                    w.require(p + "cross_attn_o.weight", WeightUse.MUL_MAT, il, (long) hp.nEmbdHeadV() * hp.nHead(),
                            nEmbd));
        }
        int in = WeightSource.INPUT;
        int out = WeightSource.OUTPUT;
        return new Weights(w.require("token_embd.weight", WeightUse.GET_ROWS, in, nEmbd, hp.nVocab()), enc,
                w.require("enc.output_norm.weight", WeightUse.MUL, in, nEmbd), List.of(dec),
                w.require("dec.output_norm.weight", WeightUse.MUL, out, nEmbd),
                w.requireOrTie("output.weight", "token_embd.weight", WeightUse.MUL_MAT, out, nEmbd, hp.nVocab()));
    }

    @Override
    public MemorySegment build(GraphBuilder g, Weights w) {
        HParams hp = g.hparams();
        int n = g.shape().nTokens();
        int head = hp.nEmbdHeadK();
        MemorySegment inpL = g.inputEmbeddings(w.tokEmbd()); // [n_embd, n_tokens]
        List<DecoderLayer> layers = w.decoder();
        for (int il = 0; il < layers.size(); il++) {
            DecoderLayer d = layers.get(il);
            T5EncoderRecipe.Layer l = d.self();
            MemorySegment cur = g.rmsNorm(inpL, l.attnNorm());
            MemorySegment q = g.reshape3d(g.linear(l.wq(), cur, null), head, hp.nHead(), n);
            MemorySegment k = g.reshape3d(g.linear(l.wk(), cur, null), head, hp.nHeadKv(), n);
            MemorySegment v = g.reshape3d(g.linear(l.wv(), cur, null), hp.nEmbdHeadV(), hp.nHeadKv(), n);
            MemorySegment bias = g.relativePositionBias(l.relB() != null ? l.relB() : layers.get(0).self().relB());
            cur = g.add(g.attention(il, q, k, v, l.wo(), null, bias, 1.0f), inpL); // [n_embd, n_tokens]
            MemorySegment inpCA = cur;
            cur = g.rmsNorm(cur, d.crossNorm());
            MemorySegment qc = g.reshape3d(g.linear(d.wqCross(), cur, null), head, hp.nHead(), n);
            cur = g.crossAttention(qc, d.wkCross(), d.wvCross(), d.woCross(), 1.0f);
            if (il == layers.size() - 1) {
                cur = g.selectOutputs(cur);     // [n_embd, n_outputs]
                inpCA = g.selectOutputs(inpCA);
            }
            MemorySegment ffnInp = g.add(cur, inpCA);
            inpL = g.add(T5EncoderRecipe.ffn(g, l, g.rmsNorm(ffnInp, l.ffnNorm())), ffnInp);
        }
        return g.linear(w.output(), g.rmsNorm(inpL, w.decoderNorm()), null); // [n_vocab, n_outputs]
    }

    /** The encoder half: T5's encoder stack over the same weights, with an encoder's memory. */
    static final class Encoder implements Recipe<Weights> {

        @Override
        public String name() {
            return "t5";
        }

        /** The encoder's hyper-parameters: {@code nLayer} is the encoder's block count. */
        @Override
        public HParams hparams(GgufMetadata md) {
            return new HParamsReader(md, name()).read(HParams.ROPE_NORMAL, 0);
        }

        @Override
        public Weights bind(WeightSource weights, HParams hp) {
            throw new IllegalStateException("T5's encoder reads the weights the decoder's recipe bound");
        }

        @Override
        public MemorySegment build(GraphBuilder g, Weights w) {
            return T5EncoderRecipe.encode(g, w.tokEmbd(), w.encoder(), w.encoderNorm(), true);
        }

        @Override
        public boolean causal() {
            return false;
        }

        @Override
        public OutputKind output(HParams hp) {
            return OutputKind.TOKEN_EMBEDDINGS;
        }

        @Override
        public Memory newMemory(MemorySpec spec) {
            return new EncoderMemory(spec);
        }

        @Override
        public long memoryBytes(MemorySpec spec) {
            return EncoderMemory.bytes(spec);
        }
    }
}
