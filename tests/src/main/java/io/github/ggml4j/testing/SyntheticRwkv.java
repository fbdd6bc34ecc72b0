package io.github.ggml4j.testing;

import io.github.ggml4j.gguf.GgmlType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * An RWKV-6 or RWKV-7 model with random weights in real shapes (tensor names, shapes and hyper-parameter keys
 * as llama.cpp's converter writes them) and a synthetic "world" vocabulary, written as GGUF with our writer.
 * The vocabulary is built like the real one: {@code <s>} (control) first, then all 256 single bytes, then
 * multi-byte tokens, each stored as Python's {@code repr} of its bytes ({@code \n}, {@code \t}, {@code \\},
 * {@code \xHH}), some non-ASCII tokens also as plain UTF-8, and a few unused {@code [PADn]} tokens at the end.
 * The big matrices are stored in {@code weightType}; LoRA matrices, norms and mixes stay F32.
 *
 * {@snippet :
 * Path file = SyntheticRwkv.rwkv7(256, 2).withWeightType(GgmlType.Q8_0).cached();
 * }
 *
 * @param version    6 or 7
 * @param nEmbd      width (a multiple of headSize and of 32)
 * @param nLayer     blocks
 * @param headSize   WKV head size
 * @param nFf        channel-mix width
 * @param weightType type of the big matrices (F32, F16, Q8_0, ...)
 * @param seed       seed of the weights
 */
public record SyntheticRwkv(int version, int nEmbd, int nLayer, int headSize, int nFf, GgmlType weightType,
                            long seed) {

    private static final int GENERATOR_VERSION = 1;

    public SyntheticRwkv {
        if (version != 6 && version != 7) {
            throw new IllegalArgumentException("version must be 6 or 7");
        }
        if (nEmbd <= 0 || nLayer <= 0 || headSize <= 0 || nEmbd % headSize != 0 || nFf <= 0) {
            throw new IllegalArgumentException("bad shape");
        }
    }

    /** RWKV-6 of this width: head size 64, FFN 3.5 × width (rounded to 32), as the converter computes it. */
    public static SyntheticRwkv rwkv6(int nEmbd, int nLayer) {
        return new SyntheticRwkv(6, nEmbd, nLayer, 64, (int) (nEmbd * 3.5) / 32 * 32, GgmlType.F32, 1);
    }

    /** RWKV-7 of this width: head size 64, FFN 4 × width. */
    public static SyntheticRwkv rwkv7(int nEmbd, int nLayer) {
        return new SyntheticRwkv(7, nEmbd, nLayer, 64, nEmbd * 4, GgmlType.F32, 1);
    }

    public SyntheticRwkv withWeightType(GgmlType t) {
        return new SyntheticRwkv(version, nEmbd, nLayer, headSize, nFf, t, seed);
    }

    public SyntheticRwkv withSeed(long s) {
        return new SyntheticRwkv(version, nEmbd, nLayer, headSize, nFf, weightType, s);
    }

    public String arch() {
        return "rwkv" + version;
    }

    /** LoRA rank as the RWKV-7 converter computes it. */
    static int loraRank(int hidden, double exponent, double multiplier) {
        return (int) Math.max(1, Math.round(Math.pow(hidden, exponent) * multiplier / 32)) * 32;
    }

    // ---- vocabulary ------------------------------------------------------------------------------------------

    /** The vocabulary: token strings (escaped) and GGUF token types. */
    public record Vocab(List<String> tokens, int[] types, int eot) {
    }

    /** Python's {@code repr(bytes)[2:-1]} for a byte string, as the world vocabulary's converter stores it. */
    public static String escape(byte[] bytes) {
        StringBuilder b = new StringBuilder();
        for (byte x : bytes) {
            int c = x & 0xFF;
            switch (c) {
                case '\t' -> b.append("\\t");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c >= 0x20 && c < 0x7F) {
                        b.append((char) c);
                    } else {
                        b.append(String.format(Locale.ROOT, "\\x%02x", c));
                    }
                }
            }
        }
        return b.toString();
    }

    /** The synthetic world vocabulary (4,096 tokens). */
    public static Vocab vocab() {
        List<String> tokens = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        tokens.add("<s>");
        types.add(3); // CONTROL
        for (int c = 0; c < 256; c++) {
            tokens.add(escape(new byte[] {(byte) c}));
            types.add(1);
        }
        Set<String> seen = new LinkedHashSet<>(tokens);
        List<String> words = new ArrayList<>(List.of("\n\n", "\n\n\n", "  ", "    ", "\t\t", " \n", "\\n", "\\\\",
                "the", " the", " The", "The", " a", " an", " and", " of", " to", " in", "ing", "tion", " is",
                "Hello", " world", " hello", "world", ",", ".", "!", "?", " (", ")", " \"", "\"", "'s", " don't",
                "café", " café", "é", "ü", "Grüße", " 世界", "世界", "世", "界", "🦙", " 🦙", "über", "naïve",
                "123", "2025", " 12", ".5", "def", " return", "():", "    return", "<|im_start|>", "</s>"));
        String letters = "etaoinshrdlucmfwypvbgkjqxz";
        Random r = new Random(77);
        for (int i = 0; words.size() < 3700; i++) {
            int len = 2 + r.nextInt(5);
            StringBuilder w = new StringBuilder(r.nextInt(3) == 0 ? "" : " ");
            for (int k = 0; k < len; k++) {
                w.append(letters.charAt(Math.min(letters.length() - 1, (int) Math.abs(r.nextGaussian() * 7))));
            }
            words.add(w.toString());
        }
        int eot = -1;
        for (String w : words) {
            byte[] bytes = w.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            String esc = escape(bytes);
            if (seen.add(esc)) {
                tokens.add(esc);
                types.add(1);
                if (w.equals("\n\n")) {
                    eot = tokens.size() - 1;
                }
            }
        }
        // the same bytes stored as plain UTF-8: a later token with equal bytes wins in llama.cpp's trie
        for (String w : List.of("é", " café", "世界", "🦙")) {
            if (seen.add(w)) {
                tokens.add(w);
                types.add(1);
            }
        }
        while (tokens.size() < 4090) {
            String w = " x" + Integer.toString(tokens.size(), 36);
            if (seen.add(w)) {
                tokens.add(w);
                types.add(1);
            }
        }
        while (tokens.size() < 4096) {
            tokens.add("[PAD" + tokens.size() + "]");
            types.add(5); // UNUSED
        }
        return new Vocab(List.copyOf(tokens), types.stream().mapToInt(Integer::intValue).toArray(), eot);
    }

    // ---- model -----------------------------------------------------------------------------------------------

    /** The GGUF file of this model. */
    public SyntheticGguf gguf() {
        Vocab vocab = vocab();
        int nVocab = vocab.tokens().size();
        String a = arch() + ".";
        SyntheticGguf g = SyntheticGguf.create(arch()).seed(seed)
                .putString("general.name", "synthetic-" + arch())
                .putString("tokenizer.ggml.model", "rwkv")
                .putStrings("tokenizer.ggml.tokens", vocab.tokens())
                .putInts("tokenizer.ggml.token_type", vocab.types())
                .putUInt32("tokenizer.ggml.bos_token_id", 0)
                .putUInt32("tokenizer.ggml.eos_token_id", 0)
                .putUInt32("tokenizer.ggml.eot_token_id", vocab.eot())
                .putUInt32(a + "context_length", 1048576)
                .putUInt32(a + "embedding_length", nEmbd)
                .putUInt32(a + "block_count", nLayer)
                .putUInt32(a + "feed_forward_length", nFf)
                .putUInt32(a + "attention.head_count", 0)
                .putFloat32(a + "attention.layer_norm_epsilon", 1e-5f)
                .putUInt32(a + "wkv.head_size", headSize);
        int e = nEmbd;
        GgmlType m = weightType;
        GgmlType f = GgmlType.F32;
        double std = 0.5 / Math.sqrt(e);
        g.randomTensor("token_embd.weight", m, 0.5, e, nVocab);
        norm(g, "token_embd_norm", e);
        if (version == 6) {
            int mix = 32;
            int decay = 64;
            g.putUInt32(a + "time_mix_extra_dim", mix).putUInt32(a + "time_decay_extra_dim", decay)
                    .putUInt32(a + "rescale_every_n_layers", 6);
            for (int i = 0; i < nLayer; i++) {
                String p = "blk." + i + ".";
                norm(g, p + "attn_norm", e);
                norm(g, p + "attn_norm_2", e);
                g.randomTensor(p + "time_mix_w1.weight", f, 0.1, e, mix * 5)
                        .randomTensor(p + "time_mix_w2.weight", f, 0.1, mix, e, 5);
                around(g, p + "time_mix_lerp_x.weight", 0.5, 0.1, e, 1, 1);
                around(g, p + "time_mix_lerp_fused.weight", 0.5, 0.1, e, 1, 1, 5);
                g.randomTensor(p + "time_mix_first.weight", f, 0.3, headSize, e / headSize);
                around(g, p + "time_mix_decay.weight", -1.0, 0.5, e);
                g.randomTensor(p + "time_mix_decay_w1.weight", f, 0.1, e, decay)
                        .randomTensor(p + "time_mix_decay_w2.weight", f, 0.1, decay, e)
                        .randomTensor(p + "time_mix_key.weight", m, std, e, e)
                        .randomTensor(p + "time_mix_value.weight", m, std * 2, e, e)
                        .randomTensor(p + "time_mix_receptance.weight", m, std * 2, e, e)
                        .randomTensor(p + "time_mix_gate.weight", m, std * 2, e, e);
                norm(g, p + "time_mix_ln", e);
                g.randomTensor(p + "time_mix_output.weight", m, std * 2, e, e);
                around(g, p + "channel_mix_lerp_k.weight", 0.5, 0.1, e, 1, 1);
                around(g, p + "channel_mix_lerp_r.weight", 0.5, 0.1, e, 1, 1);
                g.randomTensor(p + "channel_mix_key.weight", m, std * 2, e, nFf)
                        .randomTensor(p + "channel_mix_value.weight", m, 1.0 / Math.sqrt(nFf), nFf, e)
                        .randomTensor(p + "channel_mix_receptance.weight", m, std * 2, e, e);
            }
        } else {
            int dec = loraRank(e, 0.5, 1.8);
            int iclr = loraRank(e, 0.5, 1.8);
            int vres = loraRank(e, 0.5, 1.3);
            int gate = loraRank(e, 0.8, 0.6);
            g.putUInt32(a + "attention.decay_lora_rank", dec).putUInt32(a + "attention.iclr_lora_rank", iclr)
                    .putUInt32(a + "attention.value_residual_mix_lora_rank", vres)
                    .putUInt32(a + "attention.gate_lora_rank", gate);
            for (int i = 0; i < nLayer; i++) {
                String p = "blk." + i + ".";
                int vr = i == 0 ? iclr : vres;
                norm(g, p + "attn_norm", e);
                norm(g, p + "attn_norm_2", e);
                around(g, p + "time_mix_w0.weight", -1.0, 0.5, e);
                g.randomTensor(p + "time_mix_w1.weight", f, 0.1, e, dec)
                        .randomTensor(p + "time_mix_w2.weight", f, 0.1, dec, e);
                g.randomTensor(p + "time_mix_a0.weight", f, 0.3, e)
                        .randomTensor(p + "time_mix_a1.weight", f, 0.1, e, iclr)
                        .randomTensor(p + "time_mix_a2.weight", f, 0.1, iclr, e);
                g.randomTensor(p + "time_mix_v0.weight", f, 0.3, e)
                        .randomTensor(p + "time_mix_v1.weight", f, 0.1, e, vr)
                        .randomTensor(p + "time_mix_v2.weight", f, 0.1, vr, e);
                g.randomTensor(p + "time_mix_g1.weight", f, 0.1, e, gate)
                        .randomTensor(p + "time_mix_g2.weight", f, 0.1, gate, e);
                around(g, p + "time_mix_lerp_fused.weight", 0.5, 0.1, e, 1, 1, 6);
                around(g, p + "time_mix_k_k.weight", 0.9, 0.1, e);
                around(g, p + "time_mix_k_a.weight", 1.0, 0.1, e);
                g.randomTensor(p + "time_mix_r_k.weight", f, 0.3, e);
                g.randomTensor(p + "time_mix_key.weight", m, std * 2, e, e)
                        .randomTensor(p + "time_mix_value.weight", m, std * 2, e, e)
                        .randomTensor(p + "time_mix_receptance.weight", m, std * 2, e, e);
                norm(g, p + "time_mix_ln", e);
                g.randomTensor(p + "time_mix_output.weight", m, std * 2, e, e);
                around(g, p + "channel_mix_lerp_k.weight", 0.5, 0.1, e, 1, 1);
                g.randomTensor(p + "channel_mix_key.weight", m, std * 2, e, nFf)
                        .randomTensor(p + "channel_mix_value.weight", m, 1.0 / Math.sqrt(nFf), nFf, e);
            }
        }
        norm(g, "output_norm", e);
        g.randomTensor("output.weight", m, 1.0 / Math.sqrt(e) * 3, e, nVocab);
        return g;
    }

    /** Layer norm weight 1 + N(0, 0.05²) and bias N(0, 0.05²). */
    private void norm(SyntheticGguf g, String name, long n) {
        around(g, name + ".weight", 1.0, 0.05, n);
        g.randomTensor(name + ".bias", GgmlType.F32, 0.05, n);
    }

    private void around(SyntheticGguf g, String name, double mean, double std, long... shape) {
        long count = 1;
        for (long d : shape) {
            count *= d;
        }
        float[] v = new float[Math.toIntExact(count)];
        Random rnd = new Random(seed * 0x9E3779B97F4A7C15L + name.hashCode());
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (mean + rnd.nextGaussian() * std);
        }
        g.tensor(name, GgmlType.F32, v, shape);
    }

    public String fileName() {
        return arch() + "-" + nEmbd + "x" + nLayer + "-h" + headSize + "-" + weightType.name().toLowerCase(Locale.ROOT)
                + "-s" + seed + "-v" + GENERATOR_VERSION + ".gguf";
    }

    /** Written once under {@code target/synthetic-models} (atomically), shared by the tests of a run. */
    public Path cached() {
        synchronized (SyntheticRwkv.class) {
            Path dir = Path.of(System.getProperty("ggml4j.synthetic.dir", "target/synthetic-models"));
            Path file = dir.resolve(fileName());
            if (!Files.isRegularFile(file)) {
                try {
                    Files.createDirectories(dir);
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
                gguf().write(file);
            }
            return file;
        }
    }

    /** Writes a model: {@code SyntheticRwkv 6|7 WIDTH LAYERS TYPE OUT.gguf}. */
    public static void main(String[] args) {
        if (args.length != 5) {
            System.err.println("usage: SyntheticRwkv 6|7 WIDTH LAYERS TYPE OUT.gguf");
            System.exit(2);
        }
        int w = Integer.parseInt(args[1]);
        int l = Integer.parseInt(args[2]);
        SyntheticRwkv spec = (args[0].equals("6") ? rwkv6(w, l) : rwkv7(w, l))
                .withWeightType(GgmlType.valueOf(args[3].toUpperCase(Locale.ROOT)));
        spec.gguf().write(Path.of(args[4]));
        System.out.println("wrote " + args[4] + " (" + spec + ")");
    }
}
