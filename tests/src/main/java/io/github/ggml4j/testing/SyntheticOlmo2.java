package io.github.ggml4j.testing;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufArray;
import io.github.ggml4j.gguf.GgufWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

/**
 * An OLMo 2 / OLMo 3 ({@code olmo2}) model with random F32 weights and llama.cpp's llama-spm vocabulary: the
 * Llama block without pre-norms, with Q/K RMSNorm over the whole projections and post-norms on the attention
 * and FFN outputs; with a sliding window, interleaved attention (some layers windowed, some dense).
 *
 * {@snippet :
 * Path file = SyntheticOlmo2.of(64, 4, 4, 2, 192).withWindow(16).cached(); // layers 0-2 windowed, 3 dense
 * }
 *
 * @param nEmbd    width of the residual stream
 * @param nLayer   blocks
 * @param nHead    query heads
 * @param nHeadKv  key/value heads
 * @param nFf      feed-forward width
 * @param window   {@code olmo2.attention.sliding_window}, 0 to leave the key out (no window)
 * @param period   {@code olmo2.attention.sliding_window_pattern} as a period, or -1 to leave it out
 * @param flags    {@code olmo2.attention.sliding_window_pattern} as one bool per layer, or empty
 * @param seed     seed of the random weights
 * @param std      standard deviation of matrices and embeddings
 */
public record SyntheticOlmo2(int nEmbd, int nLayer, int nHead, int nHeadKv, int nFf, int window, int period,
                             List<Boolean> flags, long seed, double std) {

    private static final int GENERATOR_VERSION = 1;
    private static final String VOCAB = "llama-spm";

    public SyntheticOlmo2 {
        flags = List.copyOf(flags);
        if (nEmbd <= 0 || nLayer <= 0 || nHead <= 0 || nHeadKv <= 0 || nFf <= 0 || window < 0 || period < -1
                || nEmbd % nHead != 0 || nHead % nHeadKv != 0 || (nEmbd / nHead) % 2 != 0) {
            throw new IllegalArgumentException("bad shape");
        }
        if (!flags.isEmpty() && (flags.size() != nLayer || period >= 0)) {
            throw new IllegalArgumentException("one flag per layer, and either flags or a period");
        }
    }

    /** No window: full attention in every layer. */
    public static SyntheticOlmo2 of(int nEmbd, int nLayer, int nHead, int nHeadKv, int nFf) {
        return new SyntheticOlmo2(nEmbd, nLayer, nHead, nHeadKv, nFf, 0, -1, List.of(), 3, 0.1);
    }

    public SyntheticOlmo2 withWindow(int w) {
        return new SyntheticOlmo2(nEmbd, nLayer, nHead, nHeadKv, nFf, w, period, flags, seed, std);
    }

    public SyntheticOlmo2 withPeriod(int p) {
        return new SyntheticOlmo2(nEmbd, nLayer, nHead, nHeadKv, nFf, window, p, List.of(), seed, std);
    }

    public SyntheticOlmo2 withFlags(Boolean... f) {
        return new SyntheticOlmo2(nEmbd, nLayer, nHead, nHeadKv, nFf, window, -1, List.of(f), seed, std);
    }

    public SyntheticOlmo2 withSeed(long s) {
        return new SyntheticOlmo2(nEmbd, nLayer, nHead, nHeadKv, nFf, window, period, flags, s, std);
    }

    private int headDim() {
        return nEmbd / nHead;
    }

    private record Tensor(String name, long[] shape, boolean norm) {
    }

    private List<Tensor> tensors(long vocab) {
        long kv = (long) headDim() * nHeadKv;
        List<Tensor> t = new ArrayList<>();
        t.add(new Tensor("token_embd.weight", new long[] {nEmbd, vocab}, false));
        for (int il = 0; il < nLayer; il++) {
            String p = "blk." + il + ".";
            t.add(new Tensor(p + "attn_q.weight", new long[] {nEmbd, nEmbd}, false));
            t.add(new Tensor(p + "attn_k.weight", new long[] {nEmbd, kv}, false));
            t.add(new Tensor(p + "attn_v.weight", new long[] {nEmbd, kv}, false));
            t.add(new Tensor(p + "attn_q_norm.weight", new long[] {nEmbd}, true));
            t.add(new Tensor(p + "attn_k_norm.weight", new long[] {kv}, true));
            t.add(new Tensor(p + "attn_output.weight", new long[] {nEmbd, nEmbd}, false));
            t.add(new Tensor(p + "post_attention_norm.weight", new long[] {nEmbd}, true));
            t.add(new Tensor(p + "ffn_gate.weight", new long[] {nEmbd, nFf}, false));
            t.add(new Tensor(p + "ffn_up.weight", new long[] {nEmbd, nFf}, false));
            t.add(new Tensor(p + "ffn_down.weight", new long[] {nFf, nEmbd}, false));
            t.add(new Tensor(p + "post_ffw_norm.weight", new long[] {nEmbd}, true));
        }
        t.add(new Tensor("output_norm.weight", new long[] {nEmbd}, true));
        t.add(new Tensor("output.weight", new long[] {nEmbd, vocab}, false));
        return t;
    }

    /** The writer for this model, every tensor generated from its own stream (seed and name). */
    public GgufWriter writer() {
        Path vocabFile = SyntheticLlama.vocabPath(VOCAB);
        SyntheticGguf g = SyntheticGguf.create("olmo2").copyTokenizer(vocabFile);
        g.putString("general.name", "synthetic-olmo2")
                .putUInt32("olmo2.context_length", 4096)
                .putUInt32("olmo2.embedding_length", nEmbd)
                .putUInt32("olmo2.block_count", nLayer)
                .putUInt32("olmo2.feed_forward_length", nFf)
                .putUInt32("olmo2.attention.head_count", nHead)
                .putUInt32("olmo2.attention.head_count_kv", nHeadKv)
                .putFloat32("olmo2.attention.layer_norm_rms_epsilon", 1e-6f)
                .putFloat32("olmo2.rope.freq_base", 10000f);
        if (window > 0) {
            g.putUInt32("olmo2.attention.sliding_window", window);
        }
        if (period >= 0) {
            g.putUInt32("olmo2.attention.sliding_window_pattern", period);
        }
        if (!flags.isEmpty()) {
            boolean[] b = new boolean[nLayer];
            for (int i = 0; i < nLayer; i++) {
                b[i] = flags.get(i);
            }
            g.set("olmo2.attention.sliding_window_pattern", GgufArray.ofBooleans(b));
        }
        long vocab;
        try (io.github.ggml4j.gguf.GgufFile f = io.github.ggml4j.gguf.GgufFile.open(vocabFile)) {
            vocab = f.metadata().getArray("tokenizer.ggml.tokens").size();
        }
        GgufWriter w = g.writer();
        for (Tensor t : tensors(vocab)) {
            w.addTensor(t.name(), GgmlType.F32, t.shape(), out -> stream(t, out));
        }
        return w;
    }

    private void stream(Tensor t, java.nio.channels.WritableByteChannel out) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ t.name().hashCode());
        long rowLength = t.shape()[0];
        long rows = t.shape().length > 1 ? t.shape()[1] : 1;
        long perChunk = Math.max(1, (1 << 20) / rowLength);
        for (long r = 0; r < rows; r += perChunk) {
            int n = (int) Math.min(perChunk, rows - r);
            float[] v = new float[Math.toIntExact(n * rowLength)];
            for (int i = 0; i < v.length; i++) {
                double x = rnd.nextGaussian();
                v[i] = (float) (t.norm() ? 1 + 0.05 * x : x * std);
            }
            ByteBuffer b = ByteBuffer.wrap(SyntheticGguf.encode(GgmlType.F32, v, new long[] {rowLength, n}));
            while (b.hasRemaining()) {
                out.write(b);
            }
        }
    }

    /** This model under {@code target/synthetic-models}, written once (atomically) and then reused. */
    public Path cached() {
        synchronized (SyntheticOlmo2.class) {
            String key = toString();
            long h = 1125899906842597L;
            for (int i = 0; i < key.length(); i++) {
                h = 31 * h + key.charAt(i);
            }
            Path dir = Path.of(System.getProperty("ggml4j.synthetic.dir", "target/synthetic-models"));
            Path file = dir.resolve("olmo2-" + nEmbd + "x" + nLayer + "-w" + window + "-v" + GENERATOR_VERSION + "-"
                    + HexFormat.of().toHexDigits(h).substring(0, 10) + ".gguf");
            if (!Files.isRegularFile(file)) {
                try {
                    Files.createDirectories(dir);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                writer().write(file);
            }
            return file;
        }
    }
}
