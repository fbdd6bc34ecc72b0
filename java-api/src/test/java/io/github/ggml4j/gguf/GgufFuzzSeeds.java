package io.github.ggml4j.gguf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the valid part of the fuzzing seed corpus. The malformed part comes from
 * {@link GgufMalformedTest}, which saves every input it rejects when run with {@code -Dgguf.seedDir=DIR}.
 * {@snippet lang=sh :
 * D=java-api/src/test/resources/io/github/ggml4j/gguf/GgufFuzzTestInputs/fuzzReader
 * m -q -pl java-api -am test -Dtest=GgufMalformedTest -Dsurefire.failIfNoSpecifiedTests=false \
 *   "-Dsurefire.argLine=--enable-native-access=ALL-UNNAMED -Dgguf.seedDir=$PWD/$D"
 * # then run main(D) with the test class path
 * }
 */
public final class GgufFuzzSeeds {

    private GgufFuzzSeeds() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        seeds.put("valid-small", GgufMalformedTest.valid());
        seeds.put("valid-empty", Raw.header(3, 0, 0).toArray());
        seeds.put("valid-v2", Raw.header(2, 0, 1).kvString("general.architecture", "x").toArray());
        seeds.put("valid-every-type", bytes(writer(GgufWriterTest.everyValueType(true))
                .addTensor("t", new float[] {1, 2, 3, 4}, 2, 2)));
        seeds.put("valid-types", bytes(new GgufWriter().alignment(64)
                .addTensor("q4", GgmlType.Q4_0, new long[] {32, 2}, new byte[36])
                .addTensor("h", GgmlType.F16, new long[] {3}, new byte[6])
                .addTensor("i", GgmlType.I32, new long[] {1, 1, 1, 2}, new byte[8])));
        seeds.put("valid-vocab", bytes(new GgufWriter().putString("general.architecture", "llama")
                .putString("tokenizer.ggml.model", "llama")
                .putStrings("tokenizer.ggml.tokens", List.of("<unk>", "<s>", "</s>", "▁the", "<0x0A>"))
                .putFloats("tokenizer.ggml.scores", 0, 0, 0, -1, -2)
                .putInts("tokenizer.ggml.token_type", 2, 3, 3, 1, 6)
                .putUInt32("tokenizer.ggml.bos_token_id", 1)));
        for (Map.Entry<String, byte[]> e : seeds.entrySet()) {
            Files.write(dir.resolve(e.getKey()), e.getValue());
        }
    }

    /** Saves a rejected input as a seed, named by its content, when {@code gguf.seedDir} is set. */
    static void save(byte[] bytes) {
        String dir = System.getProperty("gguf.seedDir");
        if (dir == null) {
            return;
        }
        try {
            byte[] hash = java.security.MessageDigest.getInstance("SHA-1").digest(bytes);
            Files.write(Path.of(dir).resolve("bad-" + HexFormat.of().formatHex(hash, 0, 8)), bytes);
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static GgufWriter writer(Map<String, GgufValue> values) {
        GgufWriter w = new GgufWriter();
        values.forEach(w::put);
        return w;
    }

    private static byte[] bytes(GgufWriter w) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        w.writeTo(java.nio.channels.Channels.newChannel(out));
        return out.toByteArray();
    }
}
