package io.github.ggml4j.testing;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufWriter;
import io.github.ggml4j.testing.SyntheticTensors.Kind;
import io.github.ggml4j.testing.SyntheticTensors.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A LayerNorm decoder with a fused QKV projection — GPT-2 ({@code gpt2}), MPT ({@code mpt}), BLOOM
 * ({@code bloom}) or Falcon ({@code falcon}) — with random weights in real shapes and a real vocabulary of the
 * pinned llama.cpp tree, in llama.cpp's tensor names and shapes.
 *
 * {@snippet :
 * Path gpt2Small = SyntheticDecoder.gpt2(768, 12, 12, 3072).withType(GgmlType.Q8_0).cached();
 * Path falcon7bLike = SyntheticDecoder.falcon(256, 2, 8, 1, 1024).cached(); // multi-query attention
 * }
 *
 * @param arch          {@code general.architecture}
 * @param nEmbd         width of the residual stream
 * @param nLayer        blocks
 * @param nHead         query heads
 * @param nHeadKv       key/value heads (Falcon only; the others have nHead)
 * @param nFf           feed-forward width
 * @param vocab         llama.cpp vocab file name ({@code gpt-2}, {@code mpt}, {@code falcon})
 * @param preTokenizer  {@code tokenizer.ggml.pre} to write over the vocab file's, or null to keep it
 * @param type          type of the matrices and embeddings (norms and biases stay F32)
 * @param biases        whether the projections and norms have biases (MPT may have none)
 * @param twoNorms      Falcon-40B's second attention norm
 * @param tied          the output head tied to the token embeddings
 * @param maxAlibiBias  {@code mpt.attention.max_alibi_bias}, 0 to leave it out
 * @param clampKqv      {@code mpt.attention.clamp_kqv}, 0 to leave it out
 * @param contextLength {@code context_length} (GPT-2's position embeddings have this many rows)
 * @param seed          seed of the random weights
 * @param std           standard deviation of matrices and embeddings
 */
public record SyntheticDecoder(String arch, int nEmbd, int nLayer, int nHead, int nHeadKv, int nFf, String vocab,
                               String preTokenizer, GgmlType type, boolean biases, boolean twoNorms, boolean tied,
                               float maxAlibiBias, float clampKqv, int contextLength, long seed, double std) {

    private static final int GENERATOR_VERSION = 1;

    public SyntheticDecoder {
        if (!List.of("gpt2", "mpt", "bloom", "falcon").contains(arch)) {
            throw new IllegalArgumentException("unknown architecture " + arch);
        }
        if (nEmbd <= 0 || nLayer <= 0 || nHead <= 0 || nHeadKv <= 0 || nFf <= 0 || nEmbd % nHead != 0
                || nHead % nHeadKv != 0 || (nEmbd / nHead) % 2 != 0 || contextLength <= 0 || std <= 0
                || maxAlibiBias < 0 || clampKqv < 0) {
            throw new IllegalArgumentException("bad shape");
        }
        if (!arch.equals("falcon") && nHeadKv != nHead) {
            throw new IllegalArgumentException(arch + " has as many KV heads as query heads");
        }
    }

    public static SyntheticDecoder gpt2(int nEmbd, int nLayer, int nHead, int nFf) {
        return new SyntheticDecoder("gpt2", nEmbd, nLayer, nHead, nHead, nFf, "gpt-2", null, GgmlType.F32, true,
                false, true, 0f, 0f, 1024, 7, 0.05);
    }

    /** MPT as MPT-7B has it: no biases, ALiBi with maximum bias 8. */
    public static SyntheticDecoder mpt(int nEmbd, int nLayer, int nHead, int nFf) {
        return new SyntheticDecoder("mpt", nEmbd, nLayer, nHead, nHead, nFf, "mpt", null, GgmlType.F32, false,
                false, true, 8f, 0f, 2048, 8, 0.05);
    }

    /** BLOOM over the GPT-2 vocabulary with BLOOM's pre-tokenizer name (the pinned tree has no BLOOM vocab). */
    public static SyntheticDecoder bloom(int nEmbd, int nLayer, int nHead, int nFf) {
        return new SyntheticDecoder("bloom", nEmbd, nLayer, nHead, nHead, nFf, "gpt-2", "bloom", GgmlType.F32,
                true, false, true, 0f, 0f, 2048, 9, 0.05);
    }

    /** Falcon-7B's layout: one norm for attention and FFN, multi-query when nHeadKv is 1. */
    public static SyntheticDecoder falcon(int nEmbd, int nLayer, int nHead, int nHeadKv, int nFf) {
        return new SyntheticDecoder("falcon", nEmbd, nLayer, nHead, nHeadKv, nFf, "falcon", null, GgmlType.F32,
                false, false, false, 0f, 0f, 2048, 10, 0.05);
    }

    public SyntheticDecoder withType(GgmlType t) {
        return new SyntheticDecoder(arch, nEmbd, nLayer, nHead, nHeadKv, nFf, vocab, preTokenizer, t, biases,
                twoNorms, tied, maxAlibiBias, clampKqv, contextLength, seed, std);
    }

    public SyntheticDecoder withBiases(boolean b) {
        return new SyntheticDecoder(arch, nEmbd, nLayer, nHead, nHeadKv, nFf, vocab, preTokenizer, type, b,
                twoNorms, tied, maxAlibiBias, clampKqv, contextLength, seed, std);
    }

    /** Falcon-40B's two norms per block. */
    public SyntheticDecoder withTwoNorms(boolean b) {
        return new SyntheticDecoder(arch, nEmbd, nLayer, nHead, nHeadKv, nFf, vocab, preTokenizer, type, biases,
                b, tied, maxAlibiBias, clampKqv, contextLength, seed, std);
    }

    public SyntheticDecoder withTied(boolean b) {
        return new SyntheticDecoder(arch, nEmbd, nLayer, nHead, nHeadKv, nFf, vocab, preTokenizer, type, biases,
                twoNorms, b, maxAlibiBias, clampKqv, contextLength, seed, std);
    }

    public SyntheticDecoder withClampKqv(float c) {
        return new SyntheticDecoder(arch, nEmbd, nLayer, nHead, nHeadKv, nFf, vocab, preTokenizer, type, biases,
                twoNorms, tied, maxAlibiBias, c, contextLength, seed, std);
    }

    public SyntheticDecoder withContextLength(int n) {
        return new SyntheticDecoder(arch, nEmbd, nLayer, nHead, nHeadKv, nFf, vocab, preTokenizer, type, biases,
                twoNorms, tied, maxAlibiBias, clampKqv, n, seed, std);
    }

    public SyntheticDecoder withStd(double s) {
        return new SyntheticDecoder(arch, nEmbd, nLayer, nHead, nHeadKv, nFf, vocab, preTokenizer, type, biases,
                twoNorms, tied, maxAlibiBias, clampKqv, contextLength, seed, s);
    }

    /** Tokens in the vocabulary file (the model's n_vocab). */
    public int nVocab() {
        try (GgufFile f = GgufFile.open(SyntheticLlama.vocabPath(vocab))) {
            return f.metadata().getArray("tokenizer.ggml.tokens").size();
        }
    }

    private List<Tensor> tensors(long nVocab) {
        long kv = (long) (nEmbd / nHead) * nHeadKv;
        long qkv = nEmbd + 2 * kv;
        boolean falcon = arch.equals("falcon");
        List<Tensor> t = new ArrayList<>();
        t.add(new Tensor("token_embd.weight", type, new long[] {nEmbd, nVocab}, Kind.MATRIX));
        if (arch.equals("gpt2")) {
            t.add(new Tensor("position_embd.weight", GgmlType.F32, new long[] {nEmbd, contextLength}, Kind.MATRIX));
        }
        if (arch.equals("bloom")) {
            t.add(new Tensor("token_embd_norm.weight", GgmlType.F32, new long[] {nEmbd}, Kind.NORM));
            t.add(new Tensor("token_embd_norm.bias", GgmlType.F32, new long[] {nEmbd}, Kind.BIAS));
        }
        for (int il = 0; il < nLayer; il++) {
            String p = "blk." + il + ".";
            t.add(new Tensor(p + "attn_norm.weight", GgmlType.F32, new long[] {nEmbd}, Kind.NORM));
            if (biases || falcon) {
                t.add(new Tensor(p + "attn_norm.bias", GgmlType.F32, new long[] {nEmbd}, Kind.BIAS));
            }
            if (falcon && twoNorms) {
                t.add(new Tensor(p + "attn_norm_2.weight", GgmlType.F32, new long[] {nEmbd}, Kind.NORM));
                t.add(new Tensor(p + "attn_norm_2.bias", GgmlType.F32, new long[] {nEmbd}, Kind.BIAS));
            }
            t.add(new Tensor(p + "attn_qkv.weight", type, new long[] {nEmbd, qkv}, Kind.MATRIX));
            if (biases && !falcon) {
                t.add(new Tensor(p + "attn_qkv.bias", GgmlType.F32, new long[] {qkv}, Kind.BIAS));
            }
            t.add(new Tensor(p + "attn_output.weight", type, new long[] {nEmbd, nEmbd}, Kind.MATRIX));
            if (biases && !falcon) {
                t.add(new Tensor(p + "attn_output.bias", GgmlType.F32, new long[] {nEmbd}, Kind.BIAS));
            }
            if (!falcon) {
                t.add(new Tensor(p + "ffn_norm.weight", GgmlType.F32, new long[] {nEmbd}, Kind.NORM));
                if (biases) {
                    t.add(new Tensor(p + "ffn_norm.bias", GgmlType.F32, new long[] {nEmbd}, Kind.BIAS));
                }
            }
            t.add(new Tensor(p + "ffn_up.weight", type, new long[] {nEmbd, nFf}, Kind.MATRIX));
            if (biases && !falcon) {
                t.add(new Tensor(p + "ffn_up.bias", GgmlType.F32, new long[] {nFf}, Kind.BIAS));
            }
            t.add(new Tensor(p + "ffn_down.weight", type, new long[] {nFf, nEmbd}, Kind.MATRIX));
            if (biases && !falcon) {
                t.add(new Tensor(p + "ffn_down.bias", GgmlType.F32, new long[] {nEmbd}, Kind.BIAS));
            }
        }
        t.add(new Tensor("output_norm.weight", GgmlType.F32, new long[] {nEmbd}, Kind.NORM));
        if (biases || falcon) {
            t.add(new Tensor("output_norm.bias", GgmlType.F32, new long[] {nEmbd}, Kind.BIAS));
        }
        if (!tied) {
            t.add(new Tensor("output.weight", type, new long[] {nEmbd, nVocab}, Kind.MATRIX));
        }
        return t;
    }

    /** The writer for this model, every tensor generated from its own stream (seed and name). */
    public GgufWriter writer() {
        SyntheticGguf g = SyntheticGguf.create(arch).copyTokenizer(SyntheticLlama.vocabPath(vocab));
        String a = arch + ".";
        g.putString("general.name", "synthetic-" + arch)
                .putUInt32(a + "context_length", contextLength)
                .putUInt32(a + "embedding_length", nEmbd)
                .putUInt32(a + "block_count", nLayer)
                .putUInt32(a + "feed_forward_length", nFf)
                .putUInt32(a + "attention.head_count", nHead)
                .putUInt32(a + "attention.head_count_kv", nHeadKv)
                .putFloat32(a + "attention.layer_norm_epsilon", 1e-5f);
        if (preTokenizer != null) {
            g.putString("tokenizer.ggml.pre", preTokenizer);
        }
        if (maxAlibiBias > 0) {
            g.putFloat32(a + "attention.max_alibi_bias", maxAlibiBias);
        }
        if (clampKqv > 0) {
            g.putFloat32(a + "attention.clamp_kqv", clampKqv);
        }
        if (arch.equals("falcon")) {
            g.putFloat32(a + "rope.freq_base", 10000f);
        }
        GgufWriter w = g.writer();
        SyntheticTensors.addAll(w, tensors(nVocab()), seed, std, 0.05);
        return w;
    }

    /** Writes the model (atomically) to {@code target}. */
    public Path write(Path target) {
        writer().write(target);
        return target;
    }

    /** This model under {@code target/synthetic-models}, written once (atomically) and then reused. */
    public Path cached() {
        return SyntheticTensors.cached(arch + "-" + nEmbd + "x" + nLayer + "-" + type.name().toLowerCase(Locale.ROOT)
                + "-v" + GENERATOR_VERSION, toString(), this::write);
    }

    /**
     * Writes a benchmark-sized model: {@code SyntheticDecoder ARCH TYPE OUT}, with GPT-2-small shapes (768 wide,
     * 12 blocks, 12 heads, FFN 3072; Falcon with one KV head).
     */
    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: SyntheticDecoder gpt2|mpt|bloom|falcon TYPE OUT.gguf");
            System.exit(2);
        }
        GgmlType type = GgmlType.valueOf(args[1].toUpperCase(Locale.ROOT));
        SyntheticDecoder spec = switch (args[0]) {
            case "gpt2" -> gpt2(768, 12, 12, 3072);
            case "mpt" -> mpt(768, 12, 12, 3072);
            case "bloom" -> bloom(768, 12, 12, 3072);
            case "falcon" -> falcon(768, 12, 12, 1, 3072);
            default -> throw new IllegalArgumentException("unknown architecture " + args[0]);
        };
        System.out.println("wrote " + spec.withType(type).write(Path.of(args[2])));
    }
}
