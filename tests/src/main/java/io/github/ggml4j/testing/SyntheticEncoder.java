package io.github.ggml4j.testing;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufWriter;
import io.github.ggml4j.testing.SyntheticTensors.Kind;
import io.github.ggml4j.testing.SyntheticTensors.Tensor;
import io.github.ggml4j.model.Pooling;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A BERT-style encoder — {@code bert} (learned positions, separate Q/K/V with biases, GELU FFN),
 * {@code nomic-bert} (rotary positions, fused QKV, SwiGLU FFN, no biases) or {@code jina-bert-v2} (ALiBi, Q and K
 * LayerNorms, GELU-gated FFN with biases, the gate separate or fused into {@code ffn_up}; a one-row {@code cls}
 * head as a reranker) — with random weights in real shapes,
 * the pinned tree's {@code bert-bge} WordPiece vocabulary and llama.cpp's tensor names. With
 * {@link Pooling#RANK} it carries a reranker's classification head ({@code cls}, {@code cls.output}).
 *
 * {@snippet :
 * Path bge = SyntheticEncoder.bert(384, 4, 12, 1536, Pooling.CLS).cached();
 * Path reranker = SyntheticEncoder.bert(256, 2, 4, 1024, Pooling.RANK).cached();
 * }
 *
 * @param arch          {@code bert} or {@code nomic-bert}
 * @param nEmbd         width of the residual stream
 * @param nLayer        blocks
 * @param nHead         attention heads
 * @param nFf           feed-forward width
 * @param pooling       {@code <arch>.pooling_type}
 * @param type          type of the matrices and the token embeddings (norms, biases, positions stay F32)
 * @param contextLength {@code context_length} (BERT's position embeddings have this many rows)
 * @param seed          seed of the random weights
 * @param std           standard deviation of matrices and embeddings
 * @param fusedGate     jina-bert-v2 only: the GELU gate as the first half of {@code ffn_up} [n_embd, 2·n_ff]
 */
public record SyntheticEncoder(String arch, int nEmbd, int nLayer, int nHead, int nFf, Pooling pooling,
                               GgmlType type, int contextLength, long seed, double std, boolean fusedGate) {

    private static final int GENERATOR_VERSION = 1;

    public SyntheticEncoder {
        if (!List.of("bert", "nomic-bert", "jina-bert-v2").contains(arch) || fusedGate && !arch.equals("jina-bert-v2")) {
            throw new IllegalArgumentException("unknown architecture " + arch);
        }
        if (nEmbd <= 0 || nLayer <= 0 || nHead <= 0 || nFf <= 0 || nEmbd % nHead != 0 || (nEmbd / nHead) % 2 != 0
                || contextLength <= 0 || std <= 0) {
            throw new IllegalArgumentException("bad shape");
        }
    }

    public static SyntheticEncoder bert(int nEmbd, int nLayer, int nHead, int nFf, Pooling pooling) {
        return new SyntheticEncoder("bert", nEmbd, nLayer, nHead, nFf, pooling, GgmlType.F32, 512, 21, 0.05, false);
    }

    /** jina-bert-v2 with a separate {@code ffn_gate} (jina-embeddings-v2-small/base-en's layout). */
    public static SyntheticEncoder jinaBertV2(int nEmbd, int nLayer, int nHead, int nFf, Pooling pooling) {
        return new SyntheticEncoder("jina-bert-v2", nEmbd, nLayer, nHead, nFf, pooling, GgmlType.F32, 8192, 23, 0.05,
                false);
    }

    /** The same with the gate fused into {@code ffn_up} (GEGLU, as the code models have it). */
    public SyntheticEncoder withFusedGate() {
        return new SyntheticEncoder(arch, nEmbd, nLayer, nHead, nFf, pooling, type, contextLength, seed, std, true);
    }

    public static SyntheticEncoder nomicBert(int nEmbd, int nLayer, int nHead, int nFf, Pooling pooling) {
        return new SyntheticEncoder("nomic-bert", nEmbd, nLayer, nHead, nFf, pooling, GgmlType.F32, 2048, 22, 0.05,
                false);
    }

    public SyntheticEncoder withType(GgmlType t) {
        return new SyntheticEncoder(arch, nEmbd, nLayer, nHead, nFf, pooling, t, contextLength, seed, std, fusedGate);
    }

    public SyntheticEncoder withPooling(Pooling p) {
        return new SyntheticEncoder(arch, nEmbd, nLayer, nHead, nFf, p, type, contextLength, seed, std, fusedGate);
    }

    public SyntheticEncoder withContextLength(int n) {
        return new SyntheticEncoder(arch, nEmbd, nLayer, nHead, nFf, pooling, type, n, seed, std, fusedGate);
    }

    /** Tokens in the vocabulary file (the model's n_vocab). */
    public int nVocab() {
        try (GgufFile f = GgufFile.open(SyntheticLlama.vocabPath("bert-bge"))) {
            return f.metadata().getArray("tokenizer.ggml.tokens").size();
        }
    }

    private List<Tensor> tensors(long nVocab) {
        boolean nomic = arch.equals("nomic-bert");
        boolean jina = arch.equals("jina-bert-v2");
        List<Tensor> t = new ArrayList<>();
        t.add(new Tensor("token_embd.weight", type, new long[] {nEmbd, nVocab}, Kind.MATRIX));
        t.add(new Tensor("token_types.weight", GgmlType.F32, new long[] {nEmbd, 2}, Kind.MATRIX));
        if (!nomic && !jina) {
            t.add(new Tensor("position_embd.weight", GgmlType.F32, new long[] {nEmbd, contextLength}, Kind.MATRIX));
        }
        t.add(new Tensor("token_embd_norm.weight", GgmlType.F32, new long[] {nEmbd}, Kind.NORM));
        t.add(new Tensor("token_embd_norm.bias", GgmlType.F32, new long[] {nEmbd}, Kind.BIAS));
        for (int il = 0; il < nLayer; il++) {
            String p = "blk." + il + ".";
            if (nomic) {
                t.add(new Tensor(p + "attn_qkv.weight", type, new long[] {nEmbd, 3L * nEmbd}, Kind.MATRIX));
            } else {
                for (String m : List.of("attn_q", "attn_k", "attn_v")) {
                    t.add(new Tensor(p + m + ".weight", type, new long[] {nEmbd, nEmbd}, Kind.MATRIX));
                    t.add(new Tensor(p + m + ".bias", GgmlType.F32, new long[] {nEmbd}, Kind.BIAS));
                }
            }
            if (jina) {
                for (String m : List.of("attn_q_norm", "attn_k_norm")) {
                    t.add(new Tensor(p + m + ".weight", GgmlType.F32, new long[] {nEmbd}, Kind.NORM));
                    t.add(new Tensor(p + m + ".bias", GgmlType.F32, new long[] {nEmbd}, Kind.BIAS));
                }
            }
            t.add(new Tensor(p + "attn_output.weight", type, new long[] {nEmbd, nEmbd}, Kind.MATRIX));
            if (!nomic) {
                t.add(new Tensor(p + "attn_output.bias", GgmlType.F32, new long[] {nEmbd}, Kind.BIAS));
            }
            t.add(new Tensor(p + "attn_output_norm.weight", GgmlType.F32, new long[] {nEmbd}, Kind.NORM));
            t.add(new Tensor(p + "attn_output_norm.bias", GgmlType.F32, new long[] {nEmbd}, Kind.BIAS));
            long nUp = fusedGate ? 2L * nFf : nFf;
            t.add(new Tensor(p + "ffn_up.weight", type, new long[] {nEmbd, nUp}, Kind.MATRIX));
            if (nomic || jina && !fusedGate) {
                t.add(new Tensor(p + "ffn_gate.weight", type, new long[] {nEmbd, nFf}, Kind.MATRIX));
            }
            if (!nomic) {
                t.add(new Tensor(p + "ffn_up.bias", GgmlType.F32, new long[] {nUp}, Kind.BIAS));
            }
            t.add(new Tensor(p + "ffn_down.weight", type, new long[] {nFf, nEmbd}, Kind.MATRIX));
            if (!nomic) {
                t.add(new Tensor(p + "ffn_down.bias", GgmlType.F32, new long[] {nEmbd}, Kind.BIAS));
            }
            t.add(new Tensor(p + "layer_output_norm.weight", GgmlType.F32, new long[] {nEmbd}, Kind.NORM));
            t.add(new Tensor(p + "layer_output_norm.bias", GgmlType.F32, new long[] {nEmbd}, Kind.BIAS));
        }
        if (pooling == Pooling.RANK && jina) {
            t.add(new Tensor("cls.weight", type, new long[] {nEmbd, 1}, Kind.MATRIX));
            t.add(new Tensor("cls.bias", GgmlType.F32, new long[] {1}, Kind.BIAS));
        } else if (pooling == Pooling.RANK) {
            t.add(new Tensor("cls.weight", type, new long[] {nEmbd, nEmbd}, Kind.MATRIX));
            t.add(new Tensor("cls.bias", GgmlType.F32, new long[] {nEmbd}, Kind.BIAS));
            t.add(new Tensor("cls.output.weight", GgmlType.F32, new long[] {nEmbd, 1}, Kind.MATRIX));
            t.add(new Tensor("cls.output.bias", GgmlType.F32, new long[] {1}, Kind.BIAS));
        }
        return t;
    }

    /** The writer for this model, every tensor generated from its own stream (seed and name). */
    public GgufWriter writer() {
        SyntheticGguf g = SyntheticGguf.create(arch).copyTokenizer(SyntheticLlama.vocabPath("bert-bge"));
        String a = arch + ".";
        g.putString("general.name", "synthetic-" + arch)
                .putUInt32(a + "context_length", contextLength)
                .putUInt32(a + "embedding_length", nEmbd)
                .putUInt32(a + "block_count", nLayer)
                .putUInt32(a + "feed_forward_length", nFf)
                .putUInt32(a + "attention.head_count", nHead)
                .putFloat32(a + "attention.layer_norm_epsilon", 1e-12f)
                .putBool(a + "attention.causal", false)
                .putUInt32(a + "pooling_type", pooling.code());
        if (arch.equals("nomic-bert")) {
            g.putFloat32(a + "rope.freq_base", 1000f);
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
        return SyntheticTensors.cached(arch + (fusedGate ? "-geglu" : "") + "-" + nEmbd + "x" + nLayer + "-"
                + pooling.name().toLowerCase(Locale.ROOT)
                + "-" + type.name().toLowerCase(Locale.ROOT) + "-v" + GENERATOR_VERSION, toString(), this::write);
    }

    /**
     * Writes a benchmark-sized model: {@code SyntheticEncoder ARCH POOLING TYPE OUT}, with bge-small's shapes
     * (384 wide, 12 blocks, 12 heads, FFN 1536).
     */
    public static void main(String[] args) {
        if (args.length != 4) {
            System.err.println("usage: SyntheticEncoder bert|nomic-bert none|mean|cls|last|rank TYPE OUT.gguf");
            System.exit(2);
        }
        Pooling p = Pooling.valueOf(args[1].toUpperCase(Locale.ROOT));
        GgmlType type = GgmlType.valueOf(args[2].toUpperCase(Locale.ROOT));
        SyntheticEncoder spec = args[0].equals("bert") ? bert(384, 12, 12, 1536, p) : nomicBert(384, 12, 12, 1536, p);
        System.out.println("wrote " + spec.withType(type).write(Path.of(args[3])));
    }
}
