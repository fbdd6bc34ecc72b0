package io.github.ggml4j.gguf;

import io.github.ggml4j.GgufFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kind of malformed file must fail at open with a GgufFormatException whose message names the cause,
 * without allocating anything near a size the file merely claims.
 */
class GgufMalformedTest {

    private static final int F32 = 0;
    private static final int Q4_0 = 2;
    private static final int I8 = 24;
    private static final long ALLOCATION_LIMIT = 4 << 20;

    @TempDir
    Path dir;

    /** A small valid file with metadata and two tensors; the second tensor's data ends exactly at EOF. */
    static byte[] valid() {
        Raw r = Raw.header(3, 2, 3)
                .kvString("general.architecture", "test")
                .kvU32("test.n", 7)
                .str("tokenizer.ggml.tokens").u32(9).u32(8).u64(2).str("a").str("bc")
                .tensor("a", F32, 0, 8)
                .tensor("b", F32, 32, 4, 2)
                .pad(32);
        for (int i = 0; i < 16; i++) {
            r.f32(i);
        }
        return r.toArray();
    }

    private Path write(byte[] bytes) {
        try {
            Path p = Files.createTempFile(dir, "bad", ".gguf");
            Files.write(p, bytes);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Opens the bytes as a file; expects a GgufFormatException mentioning {@code fragment}. */
    private GgufFormatException rejects(byte[] bytes, String fragment) {
        GgufFuzzSeeds.save(bytes);
        Path p = write(bytes);
        long before = Alloc.now();
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close());
        long allocated = Alloc.now() - before;
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
        assertTrue(allocated < ALLOCATION_LIMIT, "allocated " + allocated + " bytes rejecting: " + e.getMessage());
        assertTrue(e.getMessage().lines().count() == 1, "one-line message: " + e.getMessage());
        if (Boolean.getBoolean("gguf.printMessages")) {
            System.out.println(e.getMessage().replaceAll("^.*?\\.gguf: ", ""));
        }
        return e;
    }

    @Test
    void theValidBaselineOpens() {
        try (GgufFile f = GgufFile.open(write(valid()))) {
            assertEquals(2, f.tensors().size());
            assertEquals(valid().length, f.dataOffset() + 64);
        }
    }

    // 1

    @Test
    void emptyFile() {
        rejects(new byte[0], "empty");
    }

    @Test
    void everyPrefixOfAValidFileIsRejected() throws IOException {
        byte[] full = valid();
        Path p = dir.resolve("prefix.gguf");
        for (int n = 0; n < full.length; n++) {
            Files.write(p, Arrays.copyOf(full, n));
            int len = n;
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close(),
                    () -> "prefix of " + len + " bytes");
            assertTrue(e.getMessage().contains("ends") || e.getMessage().contains("empty")
                    || e.getMessage().contains("left in the file") || e.getMessage().contains("truncated"), "prefix " + n + ": " + e.getMessage());
        }
        Files.write(p, full);
        GgufFile.open(p).close();
    }

    // 2

    @Test
    void wrongMagic() {
        byte[] b = valid();
        b[0] = 'g';
        rejects(b, "not a GGUF file");
        rejects("PK\u0003\u0004 a zip file, not a model".getBytes(), "not a GGUF file");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4, 5, 0x7FFF_FFFF, -1})
    void unsupportedVersions(int version) {
        GgufFormatException e = rejects(Raw.header(version, 0, 0).toArray(), "version");
        assertEquals(4, e.offset());
    }

    @Test
    void byteSwappedVersionIsNamedBigEndian() {
        rejects(Raw.header(Integer.reverseBytes(3), 0, 0).toArray(), "big-endian");
        rejects(Raw.header(Integer.reverseBytes(2), 0, 0).toArray(), "big-endian");
    }

    @Test
    void versionTwoIsRead() {
        byte[] b = valid();
        b[4] = 2;
        try (GgufFile f = GgufFile.open(write(b))) {
            assertEquals(2, f.version());
        }
    }

    // 3

    @Test
    void countsLargerThanTheFileCouldHold() {
        rejects(Raw.header(3, 1L << 62, 0).zeros(100).toArray(), "tensors");
        rejects(Raw.header(3, 0, 1L << 62).zeros(100).toArray(), "metadata entries");
        rejects(Raw.header(3, 0, -1).zeros(100).toArray(), "18446744073709551615");
        rejects(Raw.header(3, 0, 2).kvU32("a", 1).toArray(), "metadata entries");
    }

    // 4

    @Test
    void hugeEmptyOrInvalidKeys() {
        rejects(Raw.header(3, 0, 1).u64(1L << 40).zeros(40).toArray(), "key length 1099511627776");
        rejects(Raw.header(3, 0, 1).u64(0).u32(4).u32(1).toArray(), "key is empty");
        rejects(Raw.header(3, 0, 1).strBytes(new byte[] {'a', (byte) 0xC3, '('}).u32(4).u32(1).toArray(),
                "not valid UTF-8");
        rejects(Raw.header(3, 0, 1).strBytes(new byte[] {'a', (byte) 0xFF}).u32(4).u32(1).toArray(), "not valid UTF-8");
        rejects(Raw.header(3, 0, 1).strBytes(new byte[] {'a', 0, 'b'}).u32(4).u32(1).toArray(), "NUL");
        rejects(Raw.header(3, 0, 1).u64(70_000).zeros(70_010).toArray(), "exceeds the limit of 65535");
    }

    // 5

    @Test
    void duplicateKeyAndDuplicateTensorName() {
        rejects(Raw.header(3, 0, 2).kvU32("k", 1).kvU32("k", 2).toArray(), "duplicate metadata key 'k'");
        rejects(Raw.header(3, 2, 0).tensor("t", F32, 0, 8).tensor("t", F32, 32, 8).pad(32).zeros(64).toArray(),
                "duplicate tensor name 't'");
    }

    // 6

    @ParameterizedTest
    @ValueSource(ints = {13, 100, -1, Integer.MIN_VALUE})
    void unknownValueTypeIds(int id) {
        rejects(Raw.header(3, 0, 1).str("k").u32(id).u32(0).toArray(), "unknown value type id " + id);
        rejects(Raw.header(3, 0, 1).str("k").u32(9).u32(id).u64(1).u32(0).toArray(), "unknown value type id " + id);
    }

    // 7

    @Test
    void stringLongerThanTheFile() {
        byte[] b = Raw.header(3, 0, 1).str("general.name").u32(8).u64(1L << 30).zeros(100).toArray();
        assertTrue(b.length < 200);
        rejects(b, "only 100 bytes are left");
        rejects(Raw.header(3, 0, 1).str("k").u32(8).u64(-1).toArray(), "more than the limit");
        // the same inside an array of strings, which is walked by a faster loop
        rejects(Raw.header(3, 0, 1).str("k").u32(9).u32(8).u64(3).str("ok").u64(1L << 30).zeros(100).toArray(),
                "only 100 bytes are left");
        rejects(Raw.header(3, 0, 1).str("k").u32(9).u32(8).u64(2).str("ok").u64(-5).zeros(100).toArray(),
                "more than the limit");
        rejects(Raw.header(3, 0, 1).str("k").u32(9).u32(8).u64(2).str("ok").zeros(7).toArray(), "file ends");
    }

    // 8

    @Test
    void arrayCountsThatOverflowOrExceedTheFile() {
        // 2^62 u32 elements: the byte count overflows 64 bits
        rejects(Raw.header(3, 0, 1).str("k").u32(9).u32(4).u64(1L << 62).zeros(64).toArray(), "more than the limit");
        rejects(Raw.header(3, 0, 1).str("k").u32(9).u32(10).u64(-1).zeros(64).toArray(), "more than the limit");
        rejects(Raw.header(3, 0, 1).str("k").u32(9).u32(10).u64(1000).zeros(64).toArray(), "needs 8000 bytes");
        rejects(Raw.header(3, 0, 1).str("k").u32(9).u32(8).u64(1 << 29).zeros(64).toArray(), "need at least");
        rejects(Raw.header(3, 0, 1).str("k").u32(9).u32(9).u64(1 << 29).zeros(64).toArray(), "need at least");
    }

    // 9

    @Test
    void deeplyNestedArraysAreBounded() {
        Raw r = Raw.header(3, 0, 1).str("deep").u32(9);
        for (int i = 0; i < 10_000; i++) {
            r.u32(9).u64(1);
        }
        r.u32(4).u64(0);
        rejects(r.toArray(), "nested more than 16 deep");
    }

    @Test
    void nestingWithinTheLimitIsRead() {
        Raw r = Raw.header(3, 0, 1).str("nest").u32(9);
        for (int i = 0; i < 15; i++) {
            r.u32(9).u64(1);
        }
        r.u32(5).u64(2).u32(7).u32(-7);
        try (GgufFile f = GgufFile.open(write(r.toArray()))) {
            GgufArray a = f.metadata().getArray("nest");
            for (int i = 0; i < 15; i++) {
                assertEquals(GgufValueType.ARRAY, a.elementType());
                a = (GgufArray) a.get(0);
            }
            assertEquals(GgufValueType.INT32, a.elementType());
            assertEquals(-7, a.toIntArray()[1]);
        }
    }

    // 10

    @Test
    void badAlignment() {
        rejects(Raw.header(3, 0, 1).str("general.alignment").u32(5).u32(32).toArray(), "must be u32 but is i32");
        rejects(Raw.header(3, 0, 1).kvString("general.alignment", "32").toArray(), "must be u32 but is str");
        rejects(Raw.header(3, 0, 1).kvU32("general.alignment", 0).toArray(), "not a power of two");
        rejects(Raw.header(3, 0, 1).kvU32("general.alignment", 13).toArray(), "not a power of two");
        rejects(Raw.header(3, 0, 1).kvU32("general.alignment", 1 << 30).toArray(), "exceeds the maximum");
    }

    @Test
    void customAlignmentIsHonoured() {
        byte[] b = Raw.header(3, 1, 1).kvU32("general.alignment", 64).tensor("t", F32, 0, 4).pad(64).zeros(16)
                .toArray();
        try (GgufFile f = GgufFile.open(write(b))) {
            assertEquals(64, f.alignment());
            assertEquals(0, f.dataOffset() % 64);
            assertEquals(b.length - 16, f.dataOffset());
        }
    }

    // 11

    @Test
    void tensorNameOfSixtyFourBytes() {
        String n64 = "x".repeat(64);
        rejects(Raw.header(3, 1, 0).tensor(n64, F32, 0, 8).pad(32).zeros(32).toArray(), "ggml allows at most 63");
        String n63 = "x".repeat(63);
        try (GgufFile f = GgufFile.open(write(Raw.header(3, 1, 0).tensor(n63, F32, 0, 8).pad(32).zeros(32).toArray()))) {
            assertEquals(n63, f.tensors().getFirst().name());
        }
        rejects(Raw.header(3, 1, 0).tensor("", F32, 0, 8).pad(32).zeros(32).toArray(), "name is empty");
        rejects(Raw.header(3, 1, 0).strBytes(new byte[] {(byte) 0xC0, (byte) 0x80}).u32(1).u64(8).u32(0).u64(0)
                .pad(32).zeros(32).toArray(), "not valid UTF-8");
    }

    // 12

    @ParameterizedTest
    @ValueSource(ints = {0, 5, -1})
    void dimensionCountOutOfRange(int nDims) {
        Raw r = Raw.header(3, 1, 0).str("t").u32(nDims);
        for (int i = 0; i < Math.max(0, Math.min(nDims, 5)); i++) {
            r.u64(1);
        }
        rejects(r.u32(F32).u64(0).pad(32).zeros(32).toArray(), "out of range; ggml allows 1 to 4");
    }

    // 13

    @Test
    void negativeZeroAndOverflowingDimensions() {
        rejects(Raw.header(3, 1, 0).tensor("t", F32, 0, 8, -2).pad(32).zeros(32).toArray(), "dimension 1 = -2");
        rejects(Raw.header(3, 1, 0).tensor("t", F32, 0, 8, 0).pad(32).zeros(32).toArray(), "dimension 1 = 0");
        long big = (1L << 42) + 1;
        rejects(Raw.header(3, 1, 0).tensor("t", F32, 0, big, big).pad(32).zeros(32).toArray(), "more than 2^63 elements");
        rejects(Raw.header(3, 1, 0).tensor("t", F32, 0, 1L << 62).pad(32).zeros(32).toArray(), "larger than 2^63 bytes");
    }

    // 14

    @ParameterizedTest
    @ValueSource(ints = {4, 5, 31, 36, 43, 1000, -1})
    void unknownOrRemovedGgmlTypes(int type) {
        GgufFormatException e = rejects(Raw.header(3, 1, 0).tensor("t", type, 0, 256).pad(32).zeros(1024).toArray(),
                "ggml type");
        assertTrue(e.getMessage().contains(" " + type + " ") || e.getMessage().contains(" " + type + " ("),
                e.getMessage());
    }

    // 15

    @Test
    void rowsMustBeWholeBlocks() {
        rejects(Raw.header(3, 1, 0).tensor("t", Q4_0, 0, 33, 2).pad(32).zeros(64).toArray(),
                "not a multiple of q4_0's block size 32");
    }

    // 16

    @Test
    void misalignedPastTheEndOrOverlappingOffsets() {
        rejects(Raw.header(3, 1, 0).tensor("t", F32, 16, 8).pad(32).zeros(64).toArray(), "not a multiple of the alignment");
        rejects(Raw.header(3, 1, 0).tensor("t", F32, 1L << 40, 8).pad(32).zeros(64).toArray(), "holds only 64 bytes");
        rejects(Raw.header(3, 1, 0).tensor("t", F32, -32, 8).pad(32).zeros(64).toArray(), "beyond any file");
        rejects(Raw.header(3, 2, 0).tensor("a", F32, 0, 16).tensor("b", F32, 32, 8).pad(32).zeros(96).toArray(),
                "'a' and 'b' overlap");
        rejects(Raw.header(3, 2, 0).tensor("a", F32, 0, 8).tensor("b", F32, 0, 8).pad(32).zeros(96).toArray(), "overlap");
    }

    @Test
    void tensorsInAnyOrderWithGapsAreAccepted() {
        byte[] b = Raw.header(3, 2, 0).tensor("late", F32, 64, 8).tensor("early", F32, 0, 8).pad(32).zeros(96).toArray();
        try (GgufFile f = GgufFile.open(write(b))) {
            assertEquals("late", f.tensors().getFirst().name());
            assertEquals(64, f.tensors().getFirst().offset());
        }
    }

    // 17

    @Test
    void dataRegionOneByteShort() {
        byte[] full = valid();
        rejects(Arrays.copyOf(full, full.length - 1), "truncated");
        Raw r = Raw.header(3, 1, 0).tensor("t", I8, 0, 1L << 20).pad(32);
        rejects(r.zeros((1 << 20) - 1).toArray(), "holds only 1048575 bytes");
    }

    // 18

    @Test
    void tensorSizesSummingPastTwoToTheSixtyThree() {
        long quarter = 1L << 61; // i8: one byte per element, so 2^62 bytes per tensor
        rejects(Raw.header(3, 3, 0).tensor("a", I8, 0, quarter, 2).tensor("b", I8, 1L << 62, quarter, 2)
                .tensor("c", I8, 0, quarter, 2).pad(32).zeros(32).toArray(), "add up to more than 2^63");
    }

    // 22 and UTF-8 in values

    @Test
    void hostileLookingStringsAreJustData() {
        byte[] b = Raw.header(3, 0, 3)
                .kvString("general.name", "%n%s%x ${jndi:x} ../../etc/passwd")
                .kvString("general.url", "../../../../tmp/x")
                .str("bad.utf8").u32(8).strBytes(new byte[] {'o', 'k', (byte) 0xFF, '!'})
                .toArray();
        try (GgufFile f = GgufFile.open(write(b))) {
            assertEquals("%n%s%x ${jndi:x} ../../etc/passwd", f.metadata().getString("general.name"));
            assertEquals("../../../../tmp/x", f.metadata().getString("general.url"));
            assertEquals("ok\uFFFD!", f.metadata().getString("bad.utf8"));
        }
        // a hostile key in an error message stays one escaped line
        GgufFormatException e = rejects(Raw.header(3, 0, 2).kvU32("a\n%n%s", 1).kvU32("a\n%n%s", 2).toArray(),
                "duplicate metadata key");
        assertTrue(e.getMessage().contains("a\\u000a%n%s"), e.getMessage());
    }

    @Test
    void startOffsetBeyondTheFileOrNegative() {
        Path p = write(valid());
        assertThrows(GgufFormatException.class, () -> GgufFile.open(p, valid().length));
        assertThrows(IllegalArgumentException.class, () -> GgufFile.open(p, -1));
    }
}
