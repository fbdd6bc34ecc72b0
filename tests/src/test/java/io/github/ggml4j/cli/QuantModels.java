package io.github.ggml4j.cli;

import io.github.ggml4j.gguf.GgmlType;
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
