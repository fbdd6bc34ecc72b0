package io.github.ggml4j.gguf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.ggml4j.Ggml4jException;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fuzzes the reader with Jazzer. Any exception outside ggml4j's hierarchy is a finding, and so is a file we
 * accept but cannot copy through the writer and read back to the same metadata and tensor bytes.
 *
 * <p>In a normal {@code mvn test} this runs in regression mode over the seed corpus in
 * {@code src/test/resources/io/github/ggml4j/gguf/GgufFuzzTestInputs/fuzzReader} (valid files and every
 * malformed case of {@link GgufMalformedTest}; {@link GgufFuzzSeeds} regenerates it). To fuzz:
 * {@snippet lang=sh :
 * JAZZER_FUZZ=1 m -pl java-api -am test -Dtest=GgufFuzzTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     "-Dsurefire.argLine=--enable-native-access=ALL-UNNAMED -Xss8m -Djazzer.max_duration=30m"
 * }
 * The generated corpus goes to {@code java-api/.cifuzz-corpus} (ignored by git); Jazzer saves a crashing
 * input next to the seed corpus, where it then stays as a regression case.
 */
class GgufFuzzTest {

    @FuzzTest(maxDuration = "10m")
    void fuzzReader(byte[] data) {
        GgufFile f;
        try {
            f = GgufFile.fromBytes(data);
        } catch (Ggml4jException expected) {
            return;
        }
        // once a file is accepted, nothing may fail: not reading it, not copying it, not reading the copy
        try (f) {
            exercise(f);
            roundTrip(f);
        }
    }

    /** Touches everything a caller could read. */
    private static void exercise(GgufFile f) {
        GgufMetadata md = f.metadata();
        for (String key : md.keys()) {
            walk(md.require(key), 0);
            if (md.type(key).orElseThrow() == GgufValueType.STRING) {
                md.getString(key).length();
            }
        }
        for (GgufTensorInfo t : f.tensors()) {
            ByteBuffer b = f.tensorBytes(t.name());
            assertEquals(t.byteSize(), b.remaining());
            byte[] last = new byte[1];
            f.readTensorBytes(t.name(), t.byteSize() - 1, last, 0, 1);
            assertEquals(b.get(b.limit() - 1), last[0]);
        }
        f.toString();
    }

    private static void walk(GgufValue v, int depth) {
        v.toString();
        if (v instanceof GgufArray a) {
            assertEquals(a, a.detach());
            switch (a.elementType()) {
                case STRING -> assertEquals(a.strings(), a.toStringList()); // bulk decode = one by one
                case FLOAT32, FLOAT64 -> assertEquals(a.size(), a.toFloatArray().length);
                case BOOL -> assertEquals(a.size(), a.toBooleanArray().length);
                case ARRAY -> {
                    for (GgufValue e : a.values()) {
                        walk(e, depth + 1);
                    }
                }
                default -> {
                    try {
                        a.toIntArray();
                    } catch (Ggml4jException wide) {
                        // an element beyond an int is refused, by a typed exception: expected
                    }
                }
            }
        }
    }

    /** What we accept, we can write; what we write, we read back the same. */
    private static void roundTrip(GgufFile f) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GgufWriter.copyOf(f).writeTo(Channels.newChannel(out));
        try (GgufFile g = GgufFile.fromBytes(out.toByteArray())) {
            Map<String, GgufValue> a = f.metadata().toMap();
            assertEquals(a, g.metadata().toMap());
            List<GgufTensorInfo> ts = f.tensors();
            assertEquals(ts.size(), g.tensors().size());
            for (GgufTensorInfo t : ts) {
                GgufTensorInfo u = g.tensor(t.name()).orElseThrow();
                assertEquals(t.type(), u.type());
                assertArrayEquals(t.shape(), u.shape());
                assertEquals(f.tensorBytes(t.name()), g.tensorBytes(t.name()));
            }
        }
    }
}
