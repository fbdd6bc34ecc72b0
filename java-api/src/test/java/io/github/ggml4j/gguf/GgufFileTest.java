package io.github.ggml4j.gguf;

import io.github.ggml4j.GgufFormatException;
import io.github.ggml4j.ResourceClosedException;
import io.github.ggml4j.StorageException;
import io.github.ggml4j.nativ.GgufAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reading API: typed accessors and their errors, tensor bytes, the internal bridge, use after close. */
class GgufFileTest {

    @TempDir
    Path dir;

    private Path sample() {
        // written by hand, so the expectations do not come from our writer
        Raw r = Raw.header(3, 2, 12)
                .kvString("general.architecture", "llama")
                .kvU32("llama.context_length", 4096)
                .str("small").u32(0).u8(200)
                .str("neg").u32(3).u16(-5)
                .str("big.u32").u32(4).u32(-1)
                .str("big.u64").u32(10).u64(-1)
                .str("i64").u32(11).u64(1L << 40)
                .str("eps").u32(12).f64(1e-6)
                .str("flag").u32(7).u8(1)
                .str("tokenizer.ggml.tokens").u32(9).u32(8).u64(3).str("<unk>").str("hello").str("wörld")
                .str("scores").u32(9).u32(6).u64(3).f32(0f).f32(-1.5f).f32(2.25f)
                .str("types").u32(9).u32(0).u64(3).u8(1).u8(2).u8(255)
                .tensor("w", 0, 0, 2, 2)
                .tensor("b", 0, 32, 3)
                .pad(32)
                .f32(1).f32(2).f32(3).f32(4).zeros(16)
                .f32(7).f32(8).f32(9);
        Path p = dir.resolve("sample.gguf");
        try {
            java.nio.file.Files.write(p, r.toArray());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return p;
    }

    @Test
    void typedAccessors() {
        try (GgufFile f = GgufFile.open(sample())) {
            GgufMetadata md = f.metadata();
            assertEquals("llama", md.architecture());
            assertEquals(List.of("general.architecture", "llama.context_length", "small", "neg", "big.u32", "big.u64",
                    "i64", "eps", "flag", "tokenizer.ggml.tokens", "scores", "types"), md.keys());
            assertEquals(4096, md.getInt("llama.context_length"));
            assertEquals(200, md.getInt("small"));
            assertEquals(-5, md.getInt("neg"));
            assertEquals(0xFFFF_FFFFL, md.getLong("big.u32"));
            assertEquals(1L << 40, md.getLong("i64"));
            assertEquals(1e-6f, md.getFloat("eps"));
            assertEquals(1e-6, md.getDouble("eps"));
            assertTrue(md.getBool("flag"));
            assertEquals(List.of("<unk>", "hello", "wörld"), md.getStringArray("tokenizer.ggml.tokens"));
            assertArrayEquals(new float[] {0f, -1.5f, 2.25f}, md.getFloatArray("scores"));
            assertArrayEquals(new int[] {1, 2, 255}, md.getIntArray("types"));
            assertArrayEquals(new long[] {1, 2, 255}, md.getLongArray("types"));
            assertEquals(Optional.of(GgufValueType.ARRAY), md.type("scores"));
            assertEquals(GgufValueType.FLOAT32, md.getArray("scores").elementType());
            assertEquals(new GgufValue.UInt64(-1L), md.require("big.u64"));
            assertEquals(4096, md.optInt("llama.context_length").orElseThrow());
            assertTrue(md.optInt("absent").isEmpty());
            assertTrue(md.optString("absent").isEmpty());
            assertTrue(md.optFloat("absent").isEmpty());
            assertTrue(md.optStringArray("absent").isEmpty());
            assertEquals(Optional.of("llama"), md.optString("general.architecture"));
            assertEquals(Optional.of(true), md.optBool("flag"));
            assertFalse(md.contains("absent"));
            assertEquals(Optional.empty(), md.get("absent"));
            assertEquals(12, md.toMap().size());
        }
    }

    @Test
    void typedAccessorErrorsNameTheKeyAndBothTypes() {
        try (GgufFile f = GgufFile.open(sample())) {
            GgufMetadata md = f.metadata();
            assertMessage(() -> md.getString("llama.context_length"), "'llama.context_length'", "u32", "str");
            assertMessage(() -> md.getInt("general.architecture"), "'general.architecture'", "str", "integer");
            assertMessage(() -> md.getInt("big.u32"), "'big.u32'", "4294967295", "does not fit an int");
            assertMessage(() -> md.getLong("big.u64"), "'big.u64'", "18446744073709551615");
            assertMessage(() -> md.getFloat("flag"), "'flag'", "bool", "f32 or f64");
            assertMessage(() -> md.getBool("eps"), "'eps'", "f64", "bool");
            assertMessage(() -> md.getStringArray("scores"), "'scores'", "array of f32", "array of str");
            assertMessage(() -> md.getFloatArray("types"), "'types'", "array of u8", "f32 or f64");
            assertMessage(() -> md.getIntArray("tokenizer.ggml.tokens"), "array of str", "integers");
            assertMessage(() -> md.getArray("eps"), "'eps'", "f64", "an array");
            assertMessage(() -> md.getString("absent"), "'absent'", "missing");
            // optional forms: absent is fine, the wrong type is still an error
            assertMessage(() -> md.optInt("general.architecture"), "'general.architecture'", "str");
            assertMessage(() -> md.optString("scores"), "'scores'", "array of f32");
        }
    }

    private static void assertMessage(Runnable r, String... fragments) {
        GgufFormatException e = assertThrows(GgufFormatException.class, r::run);
        for (String s : fragments) {
            assertTrue(e.getMessage().contains(s), "'" + e.getMessage() + "' lacks '" + s + "'");
        }
    }

    @Test
    void tensorTableAndBytes() {
        try (GgufFile f = GgufFile.open(sample())) {
            assertEquals(3, f.version());
            assertEquals(32, f.alignment());
            assertEquals(0, f.dataOffset() % 32);
            assertEquals(f.dataOffset() + 44, f.fileSize());
            GgufTensorInfo w = f.tensor("w").orElseThrow();
            assertEquals(new GgufTensorInfo("w", GgmlType.F32, new long[] {2, 2}, 0, 16), w);
            assertEquals(2, w.nDims());
            assertEquals(1, w.dim(3));
            assertEquals(4, w.elementCount());
            long[] shape = w.shape();
            shape[0] = 99;
            assertEquals(2, w.shape()[0], "shape is copied out");
            assertTrue(f.tensor("nope").isEmpty());

            ByteBuffer b = f.tensorBytes("b");
            assertTrue(b.isReadOnly());
            assertEquals(ByteOrder.LITTLE_ENDIAN, b.order());
            assertEquals(12, b.remaining());
            assertEquals(7f, b.getFloat(0));
            assertEquals(9f, b.getFloat(8));
            assertThrows(ReadOnlyBufferException.class, () -> b.put(0, (byte) 1));

            byte[] dst = new byte[6];
            f.readTensorBytes("w", 4, dst, 1, 4);
            assertEquals(2f, ByteBuffer.wrap(dst, 1, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat());
            assertThrows(IndexOutOfBoundsException.class, () -> f.readTensorBytes("w", 13, dst, 0, 4));
            assertThrows(IndexOutOfBoundsException.class, () -> f.readTensorBytes("w", 0, dst, 4, 4));
            assertThrows(IllegalArgumentException.class, () -> f.tensorBytes("nope"));
        }
    }

    @Test
    void bridgeGivesTheMappingAndTensorSlices() {
        try (GgufFile f = GgufFile.open(sample())) {
            MemorySegment all = GgufAccess.mapping(f);
            assertEquals(f.fileSize(), all.byteSize());
            assertEquals('G', all.get(ValueLayout.JAVA_BYTE, 0));
            assertTrue(all.isMapped());
            assertTrue(all.isReadOnly());
            MemorySegment b = GgufAccess.tensorData(f, f.tensor("b").orElseThrow());
            assertEquals(12, b.byteSize());
            assertEquals(8f, b.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4));
            GgufTensorInfo foreign = GgufTensorInfo.of("b", GgmlType.F32, 64, 3);
            assertThrows(IllegalArgumentException.class, () -> GgufAccess.tensorData(f, foreign));
        }
    }

    @Test
    void everyUseAfterCloseIsAResourceClosedException() {
        GgufFile f = GgufFile.open(sample());
        GgufMetadata md = f.metadata();
        GgufArray tokens = md.getArray("tokenizer.ggml.tokens");
        List<String> view = md.getStringArray("tokenizer.ggml.tokens");
        GgufTensorInfo w = f.tensor("w").orElseThrow();
        assertTrue(f.isOpen());
        f.close();
        f.close(); // idempotent
        assertFalse(f.isOpen());
        assertThrows(ResourceClosedException.class, f::metadata);
        assertThrows(ResourceClosedException.class, f::tensors);
        assertThrows(ResourceClosedException.class, f::version);
        assertThrows(ResourceClosedException.class, () -> f.tensor("w"));
        assertThrows(ResourceClosedException.class, () -> f.tensorBytes("w"));
        assertThrows(ResourceClosedException.class, () -> f.readTensorBytes("w", 0, new byte[4], 0, 4));
        assertThrows(ResourceClosedException.class, () -> md.getInt("llama.context_length"));
        assertThrows(ResourceClosedException.class, md::keys);
        assertThrows(ResourceClosedException.class, () -> tokens.get(1));
        assertThrows(ResourceClosedException.class, tokens::strings);
        assertThrows(ResourceClosedException.class, () -> view.get(0));
        assertThrows(ResourceClosedException.class, () -> GgufAccess.mapping(f));
        assertThrows(ResourceClosedException.class, () -> GgufAccess.tensorData(f, w));
        assertEquals("w", w.name(), "records taken out stay usable");
        assertTrue(f.toString().contains("closed"));
    }

    @Test
    void closingWhileAnotherThreadReadsNeverCrashes() throws Exception {
        for (int round = 0; round < 20; round++) {
            GgufFile f = GgufFile.open(sample());
            List<String> tokens = f.metadata().getStringArray("tokenizer.ggml.tokens");
            CountDownLatch started = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread reader = new Thread(() -> {
                started.countDown();
                try {
                    while (true) {
                        assertEquals("hello", tokens.get(1));
                        f.readTensorBytes("b", 0, new byte[12], 0, 12);
                    }
                } catch (ResourceClosedException expected) {
                    // the only acceptable end
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            reader.start();
            started.await();
            Thread.sleep(round % 3);
            f.close();
            reader.join(10_000);
            assertFalse(reader.isAlive());
            assertNull(failure.get(), () -> "reader failed with " + failure.get());
        }
    }

    @Test
    void missingAndUnreadableFilesAreStorageErrors() {
        assertThrows(StorageException.class, () -> GgufFile.open(dir.resolve("absent.gguf")));
        StorageException e = assertThrows(StorageException.class, () -> GgufFile.open(dir));
        assertEquals("cannot read " + dir + ": it is a directory", e.getMessage());
    }
}
