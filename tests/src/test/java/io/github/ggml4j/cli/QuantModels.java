package io.github.ggml4j.cli;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.testing.SyntheticGguf;
import io.github.ggml4j.testing.SyntheticLlama;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Models, text and importance matrices for the quantization tests, written once under target/synthetic-models.
 * Both models use the real llama-spm vocabulary and are 256 wide, so the head and embeddings take the K-quant
 * paths; their feed-forward widths decide which rows fall back.
 */
final class QuantModels {

    /**
     * F16, 8 blocks, GQA 4:1 (the {@code n_gqa >= 4} rules), untied head, FFN 352: {@code ffn_down}'s rows of 352
     * are not a multiple of 256, so every K and IQ type falls back there.
     */
    static final SyntheticLlama GQA_F16 = SyntheticLlama.llama(256, 8, 4, 1, 352).withTypes(GgmlType.F16)
            .withStd(0.05).withSeed(21);

    /**
     * {@link #GQA_F16} with the head tied to the embeddings: the IQ mixes then give the (large) embeddings Q5_K
     * instead of an IQ type, which keeps the importance-matrix tests quick.
     */
    static final SyntheticLlama GQA_TIED_F16 = GQA_F16.withTiedOutput(true).withSeed(23);

    /** F32, 4 blocks, no GQA, head tied to the embeddings (the tied-embedding rules), FFN 512. */
    static final SyntheticLlama TIED_F32 = SyntheticLlama.llama(256, 4, 4, 4, 512).withTiedOutput(true)
            .withStd(0.05).withSeed(22);

    private static final String[] WORDS = ("the quick brown fox jumps over a lazy dog once upon a time there was "
            + "little girl who lived in village near forest and every day she walked to school with her friends "
            + "they sang songs about rivers mountains stars and the sea").split(" ");

    private QuantModels() {
    }

    static Path dir() {
        Path d = Path.of(System.getProperty("ggml4j.synthetic.dir", "target/synthetic-models")).toAbsolutePath();
        try {
            Files.createDirectories(d);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return d;
    }

    /**
     * An RWKV6-shaped model (256 wide, 2 blocks, FFN 512, head size 64) with the llama-spm vocabulary, F16 matrices:
     * its small 2D and 3D time-mix tensors are among those llama-quantize never quantizes.
     */
    static synchronized Path rwkv6() {
        Path f = dir().resolve("rwkv6-256x2-f16-v1.gguf");
        if (Files.isRegularFile(f)) {
            return f;
        }
        int e = 256;
        int ff = 512;
        int mix = 32;
        int decay = 64;
        int head = 64;
        int vocab = 32000;
        SyntheticGguf g = SyntheticGguf.create("rwkv6").seed(31)
                .copyTokenizer(SyntheticGguf.llamaCppVocab("llama-spm"))
                .putString("general.name", "synthetic-rwkv6")
                .putUInt32("rwkv6.context_length", 1048576)
                .putUInt32("rwkv6.embedding_length", e)
                .putUInt32("rwkv6.block_count", 2)
                .putUInt32("rwkv6.feed_forward_length", ff)
                .putUInt32("rwkv6.attention.head_count", 0)
                .putFloat32("rwkv6.attention.layer_norm_epsilon", 1e-5f)
                .putUInt32("rwkv6.wkv.head_size", head)
                .putUInt32("rwkv6.time_mix_extra_dim", mix)
                .putUInt32("rwkv6.time_decay_extra_dim", decay)
                .putUInt32("rwkv6.rescale_every_n_layers", 6);
        GgmlType h = GgmlType.F16;
        GgmlType f32 = GgmlType.F32;
        g.randomTensor("token_embd.weight", h, 0.05, e, vocab);
        g.randomTensor("token_embd_norm.weight", f32, 0.05, e).randomTensor("token_embd_norm.bias", f32, 0.05, e);
        for (int i = 0; i < 2; i++) {
            String p = "blk." + i + ".";
            g.randomTensor(p + "attn_norm.weight", f32, 0.05, e).randomTensor(p + "attn_norm.bias", f32, 0.05, e)
                    .randomTensor(p + "attn_norm_2.weight", f32, 0.05, e)
                    .randomTensor(p + "attn_norm_2.bias", f32, 0.05, e)
                    .randomTensor(p + "time_mix_w1.weight", h, 0.05, e, mix * 5)
                    .randomTensor(p + "time_mix_w2.weight", h, 0.05, mix, e, 5)
                    .randomTensor(p + "time_mix_lerp_x.weight", f32, 0.05, e, 1, 1)
                    .randomTensor(p + "time_mix_lerp_fused.weight", f32, 0.05, e, 1, 1, 5)
                    .randomTensor(p + "time_mix_first.weight", f32, 0.05, head, e / head)
                    .randomTensor(p + "time_mix_decay.weight", f32, 0.05, e)
                    .randomTensor(p + "time_mix_decay_w1.weight", h, 0.05, e, decay)
                    .randomTensor(p + "time_mix_decay_w2.weight", h, 0.05, decay, e)
                    .randomTensor(p + "time_mix_key.weight", h, 0.05, e, e)
                    .randomTensor(p + "time_mix_value.weight", h, 0.05, e, e)
                    .randomTensor(p + "time_mix_receptance.weight", h, 0.05, e, e)
                    .randomTensor(p + "time_mix_gate.weight", h, 0.05, e, e)
                    .randomTensor(p + "time_mix_ln.weight", f32, 0.05, e)
                    .randomTensor(p + "time_mix_ln.bias", f32, 0.05, e)
                    .randomTensor(p + "time_mix_output.weight", h, 0.05, e, e)
                    .randomTensor(p + "channel_mix_lerp_k.weight", f32, 0.05, e, 1, 1)
                    .randomTensor(p + "channel_mix_lerp_r.weight", f32, 0.05, e, 1, 1)
                    .randomTensor(p + "channel_mix_key.weight", h, 0.05, e, ff)
                    .randomTensor(p + "channel_mix_value.weight", h, 0.05, ff, e)
                    .randomTensor(p + "channel_mix_receptance.weight", h, 0.05, e, e);
        }
        g.randomTensor("output_norm.weight", f32, 0.05, e).randomTensor("output_norm.bias", f32, 0.05, e)
                .randomTensor("output.weight", h, 0.05, e, vocab);
        g.write(f);
        return f;
    }

    /** About {@code words} words of English-like text, the same every time. */
    static synchronized Path text(int words) {
        Path f = dir().resolve("quant-text-" + words + ".txt");
        if (!Files.isRegularFile(f)) {
            SplittableRandom r = new SplittableRandom(7);
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < words; i++) {
                b.append(WORDS[r.nextInt(WORDS.length)]).append(i % 17 == 16 ? ".\n" : " ");
            }
            try {
                Files.writeString(f, b.toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return f;
    }

    /** An importance matrix of {@link #GQA_TIED_F16}, made by llama.cpp's llama-imatrix (4 chunks of 128 tokens). */
    static synchronized Path imatrix() {
        Path model = GQA_TIED_F16.cached();
        Path f = dir().resolve(model.getFileName().toString().replace(".gguf", ".imatrix.gguf"));
        if (!Files.isRegularFile(f)) {
            Path tmp = dir().resolve(f.getFileName() + ".part.gguf");
            ReferenceTool.check(300, "llama-imatrix", "-m", model.toString(), "-f", text(3000).toString(), "-o",
                    tmp.toString(), "-c", "128", "--chunks", "4", "-t", "2");
            try {
                Files.move(tmp, f);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return f;
    }
}
