package io.github.ggml4j.testing;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufWriter;
import io.github.ggml4j.model.Pooling;
import io.github.ggml4j.testing.SyntheticTensors.Kind;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A T5 model with random weights in real shapes and llama.cpp's tensor names: {@code t5encoder} (the encoder
 * alone) or {@code t5} (encoder and decoder with cross-attention), with the Unigram vocabulary of
 * {@link SyntheticUgm}. Heads may be wider than {@code n_embd / n_head} (T5's {@code d_kv}); the FFN is ReLU
 * (T5) or GELU-gated (flan-T5); only the first block of each stack has a relative position bias, as in T5.
 *
 * {@snippet :
 * Path enc = SyntheticT5.encoder(64, 2, 4, 32, 128, true, Pooling.MEAN).cached();
 * }
 *
 * @param arch      {@code t5} or {@code t5encoder}
 * @param nEmbd     width of the residual stream
 * @param nLayer    encoder blocks
 * @param nDecLayer decoder blocks ({@code t5} only)
 * @param nHead     attention heads
 * @param headDim   width of one head
 * @param nFf       feed-forward width
 * @param nBuckets  relative position buckets
 * @param gated     GELU-gated FFN (with {@code ffn_gate}) rather than ReLU
 * @param pooling   {@code pooling_type} ({@code t5encoder} only)
 * @param tiedOutput no {@code output.weight}: the head reads the token embeddings
 * @param type      type of the matrices and the token embeddings (norms and biases stay F32)
 * @param seed      seed of the random weights
 * @param std       standard deviation of matrices and embeddings
 */
public record SyntheticT5(String arch, int nEmbd, int nLayer, int nDecLayer, int nHead, int headDim, int nFf,
                          int nBuckets, boolean gated, Pooling pooling, boolean tiedOutput, GgmlType type, long seed,
                          double std) {

    private static final int GENERATOR_VERSION = 1;

    /** The vocabulary: T5's flags (a space prefix, extra whitespace kept) and a charsmap. */
    public static final SyntheticUgm VOCAB = new SyntheticUgm(true, false, true);

    public SyntheticT5 {
        if (!List.of("t5", "t5encoder").contains(arch) || nEmbd <= 0 || nLayer <= 0 || nHead <= 0 || headDim <= 0
                || nFf <= 0 || nBuckets < 2 || nBuckets % 2 != 0 || std <= 0 || (arch.equals("t5") && nDecLayer <= 0)) {
            throw new IllegalArgumentException("bad T5 spec");
        }
    }

    public static SyntheticT5 encoder(int nEmbd, int nLayer, int nHead, int headDim, int nFf, boolean gated,
                                      Pooling pooling) {
        return new SyntheticT5("t5encoder", nEmbd, nLayer, 0, nHead, headDim, nFf, 32, gated, pooling, true,
                GgmlType.F32, 51, 0.1);
    }

    public static SyntheticT5 seq2seq(int nEmbd, int nLayer, int nDecLayer, int nHead, int headDim, int nFf,
                                      boolean gated) {
        return new SyntheticT5("t5", nEmbd, nLayer, nDecLayer, nHead, headDim, nFf, 32, gated, Pooling.NONE, false,
                GgmlType.F32, 52, 0.1);
    }

    public SyntheticT5 withType(GgmlType t) {
        return new SyntheticT5(arch, nEmbd, nLayer, nDecLayer, nHead, headDim, nFf, nBuckets, gated, pooling,
                tiedOutput, t, seed, std);
    }

    public SyntheticT5 withPooling(Pooling p) {
        return new SyntheticT5(arch, nEmbd, nLayer, nDecLayer, nHead, headDim, nFf, nBuckets, gated, p, tiedOutput,
                type, seed, std);
    }

    public SyntheticT5 withTiedOutput(boolean tied) {
        return new SyntheticT5(arch, nEmbd, nLayer, nDecLayer, nHead, headDim, nFf, nBuckets, gated, pooling, tied,
                type, seed, std);
    }

    /** Tokens of the vocabulary (llama-spm's pieces). */
    public static final int N_VOCAB = 32000;

    private record Tensor(String name, GgmlType type, long[] shape, Kind kind, double std) {
    }

    private void block(List<Tensor> t, String p, boolean first, boolean cross) {
        long nQ = (long) nHead * headDim;
        t.add(new Tensor(p + "attn_norm.weight", GgmlType.F32, new long[] {nEmbd}, Kind.NORM, std));
        if (first) {
            t.add(new Tensor(p + "attn_rel_b.weight", GgmlType.F32, new long[] {nHead, nBuckets}, Kind.MATRIX, 1.0));
        }
        for (String m : List.of("attn_q", "attn_k", "attn_v")) {
            t.add(new Tensor(p + m + ".weight", type, new long[] {nEmbd, nQ}, Kind.MATRIX, std));
        }
        t.add(new Tensor(p + "attn_o.weight", type, new long[] {nQ, nEmbd}, Kind.MATRIX, std));
        if (cross) {
            t.add(new Tensor(p + "cross_attn_norm.weight", GgmlType.F32, new long[] {nEmbd}, Kind.NORM, std));
            for (String m : List.of("cross_attn_q", "cross_attn_k", "cross_attn_v")) {
                t.add(new Tensor(p + m + ".weight", type, new long[] {nEmbd, nQ}, Kind.MATRIX, std));
            }
            t.add(new Tensor(p + "cross_attn_o.weight", type, new long[] {nQ, nEmbd}, Kind.MATRIX, std));
        }
        t.add(new Tensor(p + "ffn_norm.weight", GgmlType.F32, new long[] {nEmbd}, Kind.NORM, std));
        if (gated) {
            t.add(new Tensor(p + "ffn_gate.weight", type, new long[] {nEmbd, nFf}, Kind.MATRIX, std));
        }
        t.add(new Tensor(p + "ffn_up.weight", type, new long[] {nEmbd, nFf}, Kind.MATRIX, std));
        t.add(new Tensor(p + "ffn_down.weight", type, new long[] {nFf, nEmbd}, Kind.MATRIX, std));
    }

    private List<Tensor> tensors() {
        List<Tensor> t = new ArrayList<>();
        t.add(new Tensor("token_embd.weight", type, new long[] {nEmbd, N_VOCAB}, Kind.MATRIX, 1.0));
        for (int il = 0; il < nLayer; il++) {
            block(t, "enc.blk." + il + ".", il == 0, false);
        }
        t.add(new Tensor("enc.output_norm.weight", GgmlType.F32, new long[] {nEmbd}, Kind.NORM, std));
        if (arch.equals("t5")) {
            for (int il = 0; il < nDecLayer; il++) {
                block(t, "dec.blk." + il + ".", il == 0, true);
            }
            t.add(new Tensor("dec.output_norm.weight", GgmlType.F32, new long[] {nEmbd}, Kind.NORM, std));
            if (!tiedOutput) {
                t.add(new Tensor("output.weight", type, new long[] {nEmbd, N_VOCAB}, Kind.MATRIX, std));
            }
        }
        return t;
    }

    /** The writer for this model, every tensor generated from its own stream (seed and name). */
    public GgufWriter writer() {
        SyntheticGguf g = SyntheticGguf.create(arch);
        SyntheticUgm.put(g, VOCAB);
        String a = arch + ".";
        g.putString("general.name", "synthetic-" + arch)
                .putUInt32(a + "context_length", 512)
                .putUInt32(a + "embedding_length", nEmbd)
                .putUInt32(a + "block_count", nLayer)
                .putUInt32(a + "feed_forward_length", nFf)
                .putUInt32(a + "attention.head_count", nHead)
                .putUInt32(a + "attention.key_length", headDim)
                .putUInt32(a + "attention.value_length", headDim)
                .putFloat32(a + "attention.layer_norm_rms_epsilon", 1e-6f)
                .putUInt32(a + "attention.relative_buckets_count", nBuckets);
        if (arch.equals("t5")) {
            g.putUInt32(a + "decoder_block_count", nDecLayer).putUInt32(a + "decoder_start_token_id", 0);
        } else {
            // llama-embedding runs a t5encoder through llama_decode, whose attention is causal unless the file
            // says otherwise; T5's encoder is bidirectional (llama_encode, and ggml4j, run it so)
            g.putUInt32(a + "pooling_type", pooling.code()).putBool(a + "attention.causal", false);
        }
        GgufWriter w = g.writer();
        for (Tensor t : tensors()) {
            w.addTensor(t.name(), t.type(), t.shape(), out -> stream(t, out));
        }
        return w;
    }

    private void stream(Tensor t, WritableByteChannel out) throws IOException {
        SyntheticTensors.stream(out, seed, t.name(), t.type(), t.shape(), t.kind(), t.std(), 0.05);
    }

    /** Writes the model (atomically) to {@code target}. */
    public Path write(Path target) {
        writer().write(target);
        return target;
    }

    /** This model under {@code target/synthetic-models}, written once (atomically) and then reused. */
    public Path cached() {
        return SyntheticTensors.cached(arch + "-" + nEmbd + "x" + nLayer + "-" + pooling.name().toLowerCase(Locale.ROOT)
                + "-" + type.name().toLowerCase(Locale.ROOT) + "-v" + GENERATOR_VERSION, toString(), this::write);
    }

    /**
     * Writes a benchmark-sized model with flan-T5-small's shapes (512 wide, 8 heads of 64, GELU-gated FFN 1024):
     * {@code SyntheticT5 t5|t5encoder TYPE OUT.gguf} (t5: 8 encoder and 8 decoder blocks; t5encoder: 8 blocks, mean
     * pooling).
     */
    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: SyntheticT5 t5|t5encoder TYPE OUT.gguf");
            System.exit(2);
        }
        GgmlType type = GgmlType.valueOf(args[1].toUpperCase(Locale.ROOT));
        SyntheticT5 spec = args[0].equals("t5")
                ? new SyntheticT5("t5", 512, 8, 8, 8, 64, 1024, 32, true, Pooling.NONE, false, type, 71, 0.05)
                : new SyntheticT5("t5encoder", 512, 8, 0, 8, 64, 1024, 32, true, Pooling.MEAN, true, type, 72, 0.05);
        System.out.println("wrote " + spec.write(Path.of(args[2])));
    }
}
