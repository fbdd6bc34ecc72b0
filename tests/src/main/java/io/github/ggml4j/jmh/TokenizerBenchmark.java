package io.github.ggml4j.jmh;

import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.nativ.NativeLoader;
import io.github.ggml4j.testing.SyntheticLlama;
import io.github.ggml4j.tokenizer.Tokenizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Encoding {@code bytes} bytes of UTF-8 text (the pinned llama.cpp tree's README followed by its tokenizer test
 * inputs: prose, code, whitespace runs, many scripts, emoji) with the vocabularies of llama.cpp's
 * {@code models/ggml-vocab-*.gguf}: SPM ({@code llama-spm}), BPE with several pre-tokenizers ({@code llama-bpe},
 * {@code qwen2}, {@code gpt-2}) and WPM ({@code bert-bge}). The text is the same for every vocabulary, so
 * {@code bytes / score} is the throughput {@code scripts/perf.sh} reports in MB/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class TokenizerBenchmark {

    @Param({"llama-spm", "llama-bpe", "qwen2", "gpt-2", "bert-bge"})
    public String vocab;

    @Param({"65536"})
    public int bytes;

    private Tokenizer tokenizer;
    private byte[] text;

    @Setup(Level.Trial)
    public void load() {
        try (GgufFile f = GgufFile.open(SyntheticLlama.vocabPath(vocab))) {
            tokenizer = Tokenizer.fromGguf(f);
        }
        text = text(bytes);
    }

    /** Exactly {@code n} bytes of valid UTF-8 (a character cut at the end becomes spaces). */
    public static byte[] text(int n) {
        Path tree = NativeLoader.ensureLoaded().llamaSourceDir()
                .orElseThrow(() -> new IllegalStateException("the pinned llama.cpp tree is not known"));
        ByteArrayOutputStream src = new ByteArrayOutputStream();
        try {
            src.write(Files.readAllBytes(tree.resolve("README.md")));
            String inp = Files.readString(tree.resolve("models/ggml-vocab-llama-bpe.gguf.inp"));
            src.write(String.join("\n", inp.split("\n__ggml_vocab_test__\n")).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] one = src.toByteArray();
        byte[] out = new byte[n];
        for (int i = 0; i < n; i += one.length) {
            System.arraycopy(one, 0, out, i, Math.min(one.length, n - i));
        }
        int end = n;
        while (end > 0 && (out[end - 1] & 0xC0) == 0x80) {
            end--; // continuation bytes of a cut character
        }
        if (end > 0 && (out[end - 1] & 0x80) != 0) {
            end--; // its lead byte (a whole character may go too: still valid)
        }
        Arrays.fill(out, end, n, (byte) ' ');
        return out;
    }

    @Benchmark
    public int[] encode() {
        return tokenizer.encode(text, true, false);
    }
}
