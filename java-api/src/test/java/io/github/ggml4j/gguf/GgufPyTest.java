package io.github.ggml4j.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A file written by llama.cpp's own Python writer (gguf-py) reads identically: every key and value, every
 * tensor's type, shape, offset and bytes. The script prints what it wrote; we compare against that.
 */
class GgufPyTest {

    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    Path dir;

    @Test
    void readsWhatGgufPyWrites() throws Exception {
        Path script = resource("write_with_gguf_py.py");
        Path gguf = dir.resolve("py.gguf");
        List<String> expected = runPython(script, gguf);
        assertTrue(expected.size() > 30, "script output: " + expected);

        List<String> actual = new ArrayList<>();
        try (GgufFile f = GgufFile.open(gguf)) {
            for (String key : f.metadata().keys()) {
                actual.add("kv\t" + HEX.formatHex(key.getBytes(StandardCharsets.UTF_8)) + "\t"
                        + canon(f.metadata().require(key)));
            }
            actual.add("data_offset\t" + f.dataOffset());
            for (GgufTensorInfo t : f.tensors()) {
                StringJoiner ne = new StringJoiner(",");
                for (long d : t.shape()) {
                    ne.add(Long.toString(d));
                }
                actual.add("tensor\t" + t.name() + "\t" + t.type().id() + "\t" + ne + "\t" + t.offset() + "\t"
                        + sha256(f.tensorBytes(t.name())));
            }
        }
        assertEquals(String.join("\n", expected), String.join("\n", actual));
    }

    /** The script's canonical form of a value (see write_with_gguf_py.py). */
    static String canon(GgufValue v) {
        return switch (v) {
            case GgufValue.UInt8 x -> "u8:" + x.value();
            case GgufValue.Int8 x -> "i8:" + x.value();
            case GgufValue.UInt16 x -> "u16:" + x.value();
            case GgufValue.Int16 x -> "i16:" + x.value();
            case GgufValue.UInt32 x -> "u32:" + x.value();
            case GgufValue.Int32 x -> "i32:" + x.value();
            case GgufValue.UInt64 x -> "u64:" + Long.toUnsignedString(x.value());
            case GgufValue.Int64 x -> "i64:" + x.value();
            case GgufValue.Float32 x -> "f32:" + HEX.formatHex(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
                    .putFloat(x.value()).array());
            case GgufValue.Float64 x -> "f64:" + HEX.formatHex(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                    .putDouble(x.value()).array());
            case GgufValue.Bool x -> "bool:" + (x.value() ? 1 : 0);
            case GgufValue.Str x -> "str:" + HEX.formatHex(x.value().getBytes(StandardCharsets.UTF_8));
            case GgufArray a -> {
                StringJoiner j = new StringJoiner(",", "arr:" + a.elementType().shortName() + "[", "]");
                for (GgufValue e : a.values()) {
                    j.add(canon(e));
                }
                yield j.toString();
            }
        };
    }

    private static String sha256(ByteBuffer b) throws NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(b.duplicate());
        return HEX.formatHex(md.digest());
    }

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(GgufPyTest.class.getResource(name).toURI());
    }

    private static List<String> runPython(Path script, Path out) throws IOException, InterruptedException {
        Path tree = TestFiles.llamaCppTree();
        ProcessBuilder pb = new ProcessBuilder("python3", script.toString(), out.toString());
        pb.environment().put("PYTHONPATH", tree.resolve("gguf-py").toString());
        Path err = out.resolveSibling("python.err");
        pb.redirectError(err.toFile());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new AssertionError("python3 is needed for this cross-check (it runs llama.cpp's gguf-py): " + e.getMessage(), e);
        }
        byte[] stdout = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "gguf-py script timed out");
        String stderr = java.nio.file.Files.readString(err);
        assertEquals(0, p.exitValue(), () -> "gguf-py script failed:\n" + stderr);
        return new String(stdout, StandardCharsets.UTF_8).lines().toList();
    }
}
