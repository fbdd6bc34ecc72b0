package io.github.ggml4j.cli;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufTensorInfo;
import io.github.ggml4j.gguf.GgufWriter;
import io.github.ggml4j.gguf.TensorSource;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.testing.SyntheticLlama;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Small synthetic models for the command-line tests: real vocabularies, random weights, narrow, so each is
 * written in a second or two and a 32-token generation takes a fraction of one. Written once under
 * target/synthetic-models.
 */
final class CliModels {

    /** The behaviour tests' tiny Llama (64 wide, 2 blocks, GQA 4:2, F32, untied head, llama-spm): shared file. */
    static final SyntheticLlama LLAMA_F32 = Parity.TINY;

    /** Q4_0 blocks, Q8_0 embeddings shared with the head (as llama.cpp's Q4_0 mix), 128 wide, llama-spm. */
    static final SyntheticLlama LLAMA_Q4_0 = SyntheticLlama.llama(128, 2, 4, 2, 384).withTypes(GgmlType.Q4_0)
            .withEmbdType(GgmlType.Q8_0).withTiedOutput(true).withStd(0.05).withSeed(12);

    /** Qwen2 (QKV biases, tied head, byte-level BPE, no BOS) in Q8_0: 64 wide, 2 blocks, the qwen2 vocabulary. */
    static final SyntheticLlama QWEN2_Q8_0 = SyntheticLlama.qwen2(64, 2, 4, 2, 192).withTypes(GgmlType.Q8_0)
            .withStd(0.08).withSeed(13);

    /** The prompt {@link #llamaWithEarlyEos} is made for. */
    static final String EOS_PROMPT = "Hello my name is";

    private static final int EOS = 2;

    private CliModels() {
    }

    /**
     * {@link #LLAMA_F32} with the head's EOS row set to 1.001 × the row of a token it generates after
     * {@link #EOS_PROMPT} from the 9th token on: where that token would win, EOS wins instead, so greedy
     * generation ends part-way with an end-of-generation token (random weights alone almost never give one).
     */
    static synchronized Path llamaWithEarlyEos() {
        Path base = LLAMA_F32.cached();
        Path file = base.resolveSibling(base.getFileName().toString().replace(".gguf", "-eos.gguf"));
        if (Files.isRegularFile(file)) {
            return file;
        }
        int[] generated;
        try (Model m = Model.load(base, ModelOptions.defaults().withThreads(1).withContextSize(256));
             Session s = m.newSession(SessionOptions.defaults().withContextSize(128))) {
            generated = s.generate(EOS_PROMPT, GenerateOptions.greedy(32)).tokens();
        }
        int target = firstNewTokenFrom(generated, 8);
        try (GgufFile f = GgufFile.open(base)) {
            GgufTensorInfo head = f.tensor("output.weight").orElseThrow();
            if (head.type() != GgmlType.F32) {
                throw new IllegalStateException("expected an F32 head, got " + head.type());
            }
            ByteBuffer bytes = f.tensorBytes("output.weight");
            byte[] data = new byte[bytes.remaining()];
            bytes.get(data);
            int row = Math.toIntExact(head.shape()[0]);
            FloatBuffer w = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            for (int i = 0; i < row; i++) {
                w.put(EOS * row + i, 1.001f * w.get(target * row + i));
            }
            GgufWriter.copyOf(f).replaceTensor("output.weight", head.type(), head.shape(), TensorSource.of(data))
                    .write(file);
        }
        return file;
    }

    private static int firstNewTokenFrom(int[] tokens, int from) {
        for (int i = from; i < tokens.length; i++) {
            boolean seen = false;
            for (int j = 0; j < i; j++) {
                seen |= tokens[j] == tokens[i];
            }
            if (!seen) {
                return tokens[i];
            }
        }
        throw new IllegalStateException("no new token after position " + from);
    }
}
