package io.github.ggml4j.testing;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufTensorInfo;
import io.github.ggml4j.gguf.GgufWriter;
import io.github.ggml4j.gguf.TensorSource;
import io.github.ggml4j.nativ.NativeLoader;
import io.github.ggml4j.quantize.TensorQuantizer;
import io.github.ggml4j.testing.ReferenceLlama.RopeMode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Llama-family model with random weights in real shapes and a real vocabulary, written as GGUF. Matrices and
 * embeddings are N(0, std²); norm weights are 1 + N(0, 0.05²) so activations stay in range; Qwen2's QKV biases
 * are N(0, 0.1²). Every tensor draws from its own stream (seed and name), so a file is the same however it is
 * written, and tensors are generated and quantized one chunk of rows at a time: a 1.1B model needs no more
 * heap than one chunk.
 *
 * {@snippet :
 * SyntheticLlama spec = SyntheticLlama.llama(512, 4, 8, 2, 1536).withWeightType(GgmlType.Q4_0);
 * Path file = spec.cached();                                  // written once under target/synthetic-models
 * Map<String, float[]> w = SyntheticLlama.readWeights(file);  // what the file holds, dequantized
 * }
 *
 * @param arch          {@code llama} or {@code qwen2}
 * @param nEmbd         width of the residual stream
 * @param nLayer        blocks
 * @param nHead         query heads
 * @param nHeadKv       key/value heads
 * @param nFf           feed-forward width
 * @param vocab         llama.cpp vocab file name, e.g. {@code llama-spm} for {@code models/ggml-vocab-llama-spm.gguf}
 * @param weightType    type of the block matrices
 * @param embdType      type of {@code token_embd.weight} and {@code output.weight}
 * @param tiedOutput    no {@code output.weight}: the head reuses the token embeddings
 * @param contextLength {@code <arch>.context_length}
 * @param ropeBase      {@code <arch>.rope.freq_base}
 * @param seed          seed of the random weights
 * @param std           standard deviation of matrices and embeddings
 */
public record SyntheticLlama(String arch, int nEmbd, int nLayer, int nHead, int nHeadKv, int nFf, String vocab,
                             GgmlType weightType, GgmlType embdType, boolean tiedOutput, int contextLength,
                             float ropeBase, long seed, double std) {

    /** About this many values (whole rows) are generated and encoded at a time when streaming. */
    private static final int CHUNK_VALUES = 1 << 22;
    /** Part of cached file names: bump it when the generated values change, so old cache files are not reused. */
    private static final int GENERATOR_VERSION = 1;
    private static final Map<String, Integer> VOCAB_SIZES = new ConcurrentHashMap<>();

    public SyntheticLlama {
        if (!arch.equals("llama") && !arch.equals("qwen2")) {
            throw new IllegalArgumentException("arch must be llama or qwen2, got " + arch);
        }
        if (nEmbd <= 0 || nLayer <= 0 || nHead <= 0 || nHeadKv <= 0 || nFf <= 0 || contextLength <= 0) {
            throw new IllegalArgumentException("sizes must be positive");
        }
        if (nEmbd % nHead != 0 || nHead % nHeadKv != 0 || (nEmbd / nHead) % 2 != 0) {
            throw new IllegalArgumentException("n_embd " + nEmbd + " / n_head " + nHead + " / n_head_kv " + nHeadKv
                    + " do not give an even head width shared by whole KV groups");
        }
        Objects.requireNonNull(vocab, "vocab");
        Objects.requireNonNull(weightType, "weightType");
        Objects.requireNonNull(embdType, "embdType");
        if (!(std > 0)) {
            throw new IllegalArgumentException("std must be positive");
        }
    }

    /** A Llama model of this shape: llama-spm vocabulary, F32, untied head, context 2048, base 10000, std 0.02. */
    public static SyntheticLlama llama(int nEmbd, int nLayer, int nHead, int nHeadKv, int nFf) {
        return new SyntheticLlama("llama", nEmbd, nLayer, nHead, nHeadKv, nFf, "llama-spm", GgmlType.F32,
                GgmlType.F32, false, 2048, 10000f, 1, 0.02);
    }

    /** A Qwen2 model of this shape: qwen2 vocabulary (~152k tokens), F32, tied head, base 1e6, std 0.02. */
    public static SyntheticLlama qwen2(int nEmbd, int nLayer, int nHead, int nHeadKv, int nFf) {
        return new SyntheticLlama("qwen2", nEmbd, nLayer, nHead, nHeadKv, nFf, "qwen2", GgmlType.F32,
                GgmlType.F32, true, 2048, 1_000_000f, 1, 0.02);
    }

    /** TinyLlama 1.1B's shape (2048 wide, 22 blocks, 32 heads, 4 KV heads, FFN 5632) in one weight type. */
    public static SyntheticLlama tinyLlama(GgmlType type) {
        return llama(2048, 22, 32, 4, 5632).withWeightType(type).withEmbdType(type);
    }

    public SyntheticLlama withWeightType(GgmlType t) {
        return new SyntheticLlama(arch, nEmbd, nLayer, nHead, nHeadKv, nFf, vocab, t, embdType, tiedOutput,
                contextLength, ropeBase, seed, std);
    }

    public SyntheticLlama withEmbdType(GgmlType t) {
        return new SyntheticLlama(arch, nEmbd, nLayer, nHead, nHeadKv, nFf, vocab, weightType, t, tiedOutput,
                contextLength, ropeBase, seed, std);
    }

    /** Weights and embeddings in one type. */
    public SyntheticLlama withTypes(GgmlType t) {
        return withWeightType(t).withEmbdType(t);
    }

    public SyntheticLlama withTiedOutput(boolean v) {
        return new SyntheticLlama(arch, nEmbd, nLayer, nHead, nHeadKv, nFf, vocab, weightType, embdType, v,
                contextLength, ropeBase, seed, std);
    }

    public SyntheticLlama withVocab(String v) {
        return new SyntheticLlama(arch, nEmbd, nLayer, nHead, nHeadKv, nFf, v, weightType, embdType, tiedOutput,
                contextLength, ropeBase, seed, std);
    }

    public SyntheticLlama withContextLength(int v) {
        return new SyntheticLlama(arch, nEmbd, nLayer, nHead, nHeadKv, nFf, vocab, weightType, embdType, tiedOutput,
                v, ropeBase, seed, std);
    }

    public SyntheticLlama withSeed(long v) {
        return new SyntheticLlama(arch, nEmbd, nLayer, nHead, nHeadKv, nFf, vocab, weightType, embdType, tiedOutput,
                contextLength, ropeBase, v, std);
    }

    public SyntheticLlama withStd(double v) {
        return new SyntheticLlama(arch, nEmbd, nLayer, nHead, nHeadKv, nFf, vocab, weightType, embdType, tiedOutput,
                contextLength, ropeBase, seed, v);
    }

    public int headDim() {
        return nEmbd / nHead;
    }

    /** llama.cpp's default RMSNorm epsilon for real models of the architecture. */
    public float rmsEps() {
        return arch.equals("qwen2") ? 1e-6f : 1e-5f;
    }

    /** Tokens in the vocabulary file (the model's n_vocab). */
    public int nVocab() {
        return VOCAB_SIZES.computeIfAbsent(vocab, v -> {
            try (GgufFile f = GgufFile.open(vocabPath(v))) {
                return f.metadata().getArray("tokenizer.ggml.tokens").size();
            }
        });
    }

    /** The config of {@link ReferenceLlama} for this model. */
    public ReferenceLlama.Config referenceConfig() {
        RopeMode mode = arch.equals("qwen2") ? RopeMode.NEOX : RopeMode.NORMAL;
        return ReferenceLlama.Config.of(nVocab(), nEmbd, nLayer, nFf, nHead, nHeadKv, mode, ropeBase, rmsEps());
    }

    /** What one tensor holds. */
    enum Kind { MATRIX, NORM, BIAS }

    /** A tensor of the model: name, storage type, ggml shape (row length first) and how it is drawn. */
    record Tensor(String name, GgmlType type, long[] shape, Kind kind) {
        long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** Every tensor, in the order llama.cpp's converter writes them. */
    List<Tensor> tensors() {
        long v = nVocab();
        long kv = (long) headDim() * nHeadKv;
        List<Tensor> t = new ArrayList<>();
        t.add(new Tensor("token_embd.weight", embdType, new long[] {nEmbd, v}, Kind.MATRIX));
        for (int il = 0; il < nLayer; il++) {
            String p = "blk." + il + ".";
            t.add(new Tensor(p + "attn_norm.weight", GgmlType.F32, new long[] {nEmbd}, Kind.NORM));
            t.add(new Tensor(p + "attn_q.weight", weightType, new long[] {nEmbd, nEmbd}, Kind.MATRIX));
            t.add(new Tensor(p + "attn_k.weight", weightType, new long[] {nEmbd, kv}, Kind.MATRIX));
            t.add(new Tensor(p + "attn_v.weight", weightType, new long[] {nEmbd, kv}, Kind.MATRIX));
            if (arch.equals("qwen2")) {
                t.add(new Tensor(p + "attn_q.bias", GgmlType.F32, new long[] {nEmbd}, Kind.BIAS));
                t.add(new Tensor(p + "attn_k.bias", GgmlType.F32, new long[] {kv}, Kind.BIAS));
                t.add(new Tensor(p + "attn_v.bias", GgmlType.F32, new long[] {kv}, Kind.BIAS));
            }
            t.add(new Tensor(p + "attn_output.weight", weightType, new long[] {nEmbd, nEmbd}, Kind.MATRIX));
            t.add(new Tensor(p + "ffn_norm.weight", GgmlType.F32, new long[] {nEmbd}, Kind.NORM));
            t.add(new Tensor(p + "ffn_gate.weight", weightType, new long[] {nEmbd, nFf}, Kind.MATRIX));
            t.add(new Tensor(p + "ffn_up.weight", weightType, new long[] {nEmbd, nFf}, Kind.MATRIX));
            t.add(new Tensor(p + "ffn_down.weight", weightType, new long[] {nFf, nEmbd}, Kind.MATRIX));
        }
        t.add(new Tensor("output_norm.weight", GgmlType.F32, new long[] {nEmbd}, Kind.NORM));
        if (!tiedOutput) {
            t.add(new Tensor("output.weight", embdType, new long[] {nEmbd, v}, Kind.MATRIX));
        }
        return t;
    }

    /**
     * The writer for this model with every tensor streamed from its generator. Tests change it (drop a tensor,
     * set a key) before writing to make broken variants.
     */
    public GgufWriter writer() {
        SyntheticGguf g = SyntheticGguf.create(arch).copyTokenizer(vocabPath(vocab));
        String a = arch + ".";
        g.putString("general.name", "synthetic-" + arch)
                .putUInt32(a + "context_length", contextLength)
                .putUInt32(a + "embedding_length", nEmbd)
                .putUInt32(a + "block_count", nLayer)
                .putUInt32(a + "feed_forward_length", nFf)
                .putUInt32(a + "attention.head_count", nHead)
                .putUInt32(a + "attention.head_count_kv", nHeadKv)
                .putFloat32(a + "attention.layer_norm_rms_epsilon", rmsEps())
                .putFloat32(a + "rope.freq_base", ropeBase);
        GgufWriter w = g.writer();
        for (Tensor t : tensors()) {
            w.addTensor(t.name(), t.type(), t.shape(), out -> stream(t, out));
        }
        return w;
    }

    /** Writes the model (atomically) to {@code target}. */
    public Path write(Path target) {
        writer().write(target);
        return target;
    }

    /** A stable file name for this spec. */
    public String fileName() {
        String key = toString();
        long h = 1125899906842597L;
        for (int i = 0; i < key.length(); i++) {
            h = 31 * h + key.charAt(i);
        }
        return arch + "-" + nEmbd + "x" + nLayer + "-" + weightType.name().toLowerCase(Locale.ROOT) + "-v"
                + GENERATOR_VERSION + "-" + HexFormat.of().toHexDigits(h).substring(0, 10) + ".gguf";
    }

    /**
     * This model under {@code target/synthetic-models} (or {@code $ggml4j.synthetic.dir}), written on first use
     * and shared by every test class that asks for the same spec, in this run and later ones until
     * {@code mvn clean}. Files are written atomically, so an interrupted run leaves none half-written; tests take
     * their expected values from the file itself (llama.cpp on it, {@link #readWeights}), never from the spec.
     */
    public Path cached() {
        synchronized (SyntheticLlama.class) {
            Path dir = Path.of(System.getProperty("ggml4j.synthetic.dir", "target/synthetic-models"));
            Path file = dir.resolve(fileName());
            if (!Files.isRegularFile(file)) {
                try {
                    Files.createDirectories(dir);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                write(file);
            }
            return file;
        }
    }

    /** Generates one tensor in chunks of whole rows, encoding each chunk in the tensor's type. */
    private void stream(Tensor t, java.nio.channels.WritableByteChannel out) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ t.name().hashCode());
        long rowLength = t.shape()[0];
        long rows = t.elements() / rowLength;
        long rowsPerChunk = Math.max(1, CHUNK_VALUES / rowLength);
        for (long r = 0; r < rows; r += rowsPerChunk) {
            int n = (int) Math.min(rowsPerChunk, rows - r);
            float[] v = new float[Math.toIntExact(n * rowLength)];
            for (int i = 0; i < v.length; i++) {
                double g = rnd.nextGaussian();
                v[i] = (float) switch (t.kind()) {
                    case MATRIX -> g * std;
                    case NORM -> 1 + 0.05 * g;
                    case BIAS -> 0.1 * g;
                };
            }
            ByteBuffer b = ByteBuffer.wrap(SyntheticGguf.encode(t.type(), v, new long[] {rowLength, n}));
            while (b.hasRemaining()) {
                out.write(b);
            }
        }
    }

    /**
     * Every tensor of a GGUF file as the floats it stores (dequantized by ggml), by name, in ggml layout: the
     * weights {@link ReferenceLlama} needs to compute what the file computes.
     */
    public static Map<String, float[]> readWeights(Path file) {
        Map<String, float[]> m = new LinkedHashMap<>();
        try (GgufFile f = GgufFile.open(file)) {
            for (GgufTensorInfo t : f.tensors()) {
                ByteBuffer bb = f.tensorBytes(t.name());
                byte[] bytes = new byte[bb.remaining()];
                bb.get(bytes);
                m.put(t.name(), TensorQuantizer.dequantize(t.type(), bytes, Math.toIntExact(t.elementCount())));
            }
        }
        return m;
    }

    /** {@code models/ggml-vocab-NAME.gguf} of the pinned llama.cpp tree the native build used. */
    public static Path vocabPath(String name) {
        Optional<Path> tree = NativeLoader.ensureLoaded().llamaSourceDir();
        if (tree.isPresent()) {
            Path p = tree.get().resolve("models").resolve("ggml-vocab-" + name + ".gguf");
            if (Files.isRegularFile(p)) {
                return p;
            }
            throw new IllegalStateException("no vocab file " + p + " in the pinned llama.cpp tree");
        }
        return SyntheticGguf.llamaCppVocab(name);
    }

    /**
     * Writes a preset model: {@code SyntheticLlama PRESET TYPE OUT [SEED]}, e.g. {@code tinyllama Q4_0 out.gguf}.
     * Presets: {@code tinyllama} (1.1B shape), {@code parity} (512 wide, 4 blocks, GQA 8:2).
     */
    public static void main(String[] args) {
        if (args.length < 3 || args.length > 4) {
            System.err.println("usage: SyntheticLlama tinyllama|tinyllama-llama3|parity TYPE OUT.gguf [SEED]");
            System.exit(2);
        }
        GgmlType type = GgmlType.valueOf(args[1].toUpperCase(Locale.ROOT));
        SyntheticLlama spec = switch (args[0]) {
            case "tinyllama" -> tinyLlama(type);
            // TinyLlama's shape with Llama 3's 128k vocabulary (the sampler-cost benchmark's model)
            case "tinyllama-llama3" -> tinyLlama(type).withVocab("llama-bpe");
            case "parity" -> llama(512, 4, 8, 2, 1536).withTypes(type);
            default -> throw new IllegalArgumentException("unknown preset " + args[0]
                    + " (tinyllama, tinyllama-llama3, parity)");
        };
        if (args.length == 4) {
            spec = spec.withSeed(Long.parseLong(args[3]));
        }
        long t0 = System.nanoTime();
        Path out = spec.write(Path.of(args[2]));
        System.out.printf(Locale.ROOT, "wrote %s (%s) in %.1f s%n", out, spec, (System.nanoTime() - t0) / 1e9);
    }
}
