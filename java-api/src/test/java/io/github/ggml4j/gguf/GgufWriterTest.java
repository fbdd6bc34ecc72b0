package io.github.ggml4j.gguf;

import io.github.ggml4j.GgufFormatException;
import io.github.ggml4j.ResourceClosedException;
import io.github.ggml4j.StorageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The writer: every value type, tensors and alignment, atomic output, validation, copying with changes. */
class GgufWriterTest {

    @TempDir
    Path dir;

    /** One value of every type, edge values included, and arrays of each, empty and nested ones. */
    static Map<String, GgufValue> everyValueType(boolean nested) {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", new GgufValue.Str("test"));
        m.put("v.u8", new GgufValue.UInt8(255));
        m.put("v.i8", new GgufValue.Int8((byte) -128));
        m.put("v.u16", new GgufValue.UInt16(65535));
        m.put("v.i16", new GgufValue.Int16(Short.MIN_VALUE));
        m.put("v.u32", new GgufValue.UInt32(0xFFFF_FFFFL));
        m.put("v.i32", new GgufValue.Int32(Integer.MIN_VALUE));
        m.put("v.f32", new GgufValue.Float32(-0.0f));
        m.put("v.f32.nan", new GgufValue.Float32(Float.NaN));
        m.put("v.bool", new GgufValue.Bool(true));
        m.put("v.str", new GgufValue.Str("héllo, 世界 🦙 \u0000 inside"));
        m.put("v.str.empty", new GgufValue.Str(""));
        m.put("v.u64", new GgufValue.UInt64(-1L));
        m.put("v.i64", new GgufValue.Int64(Long.MIN_VALUE));
        m.put("v.f64", new GgufValue.Float64(Math.PI));
        m.put("a.u8", GgufArray.of(GgufValueType.UINT8, List.of(new GgufValue.UInt8(0), new GgufValue.UInt8(200))));
        m.put("a.i8", GgufArray.of(GgufValueType.INT8, List.of(new GgufValue.Int8((byte) -1))));
        m.put("a.u16", GgufArray.of(GgufValueType.UINT16, List.of(new GgufValue.UInt16(40000))));
        m.put("a.i16", GgufArray.of(GgufValueType.INT16, List.of(new GgufValue.Int16((short) -300))));
        m.put("a.u32", GgufArray.of(GgufValueType.UINT32, List.of(new GgufValue.UInt32(3_000_000_000L))));
        m.put("a.i32", GgufArray.ofInts(1, -2, 3));
        m.put("a.f32", GgufArray.ofFloats(0.5f, Float.NEGATIVE_INFINITY));
        m.put("a.bool", GgufArray.ofBooleans(true, false, true));
        m.put("a.str", GgufArray.ofStrings("a", "", "ü"));
        m.put("a.u64", GgufArray.of(GgufValueType.UINT64, List.of(new GgufValue.UInt64(-2L))));
        m.put("a.i64", GgufArray.ofLongs(Long.MAX_VALUE, -5));
        m.put("a.f64", GgufArray.ofDoubles(1e300, -1e-300));
        m.put("a.empty", GgufArray.ofInts());
        if (nested) {
            m.put("a.nested", GgufArray.of(GgufValueType.ARRAY, List.of(
                    GgufArray.ofStrings("x", "yz"), GgufArray.ofStrings(),
                    GgufArray.of(GgufValueType.ARRAY, List.of(GgufArray.ofFloats(1f))))));
        }
        return m;
    }

    private static GgufWriter writerWith(Map<String, GgufValue> values) {
        GgufWriter w = new GgufWriter();
        values.forEach(w::put);
        return w;
    }

    @Test
    void everyValueTypeRoundTrips() {
        Map<String, GgufValue> values = everyValueType(true);
        Path p = dir.resolve("values.gguf");
        writerWith(values).write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(List.copyOf(values.keySet()), f.metadata().keys());
            assertEquals(values, f.metadata().toMap());
            GgufArray nested = f.metadata().getArray("a.nested");
            assertEquals(List.of("x", "yz"), ((GgufArray) nested.get(0)).strings());
            assertEquals(0, ((GgufArray) nested.get(1)).size());
            GgufArray deeper = (GgufArray) ((GgufArray) nested.get(2)).get(0);
            assertArrayEquals(new float[] {1f}, deeper.toFloatArray());
        }
    }

    @Test
    void ggmlReadsWhatWeWrite() {
        // gguf.h does not take arrays of arrays, so they are left out here
        Map<String, GgufValue> values = everyValueType(false);
        Path p = dir.resolve("values.gguf");
        writerWith(values).addTensor("t", new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 4, 2).write(p);
        GgmlReference ggml = GgmlReference.read(p);
        assertNotNull(ggml);
        List<String> keys = new ArrayList<>(ggml.metadata().keySet());
        assertEquals(List.copyOf(values.keySet()), keys);
        for (Map.Entry<String, GgufValue> e : values.entrySet()) {
            GgmlReference.Entry g = ggml.metadata().get(e.getKey());
            assertEquals(e.getValue().type().shortName(), g.type(), e.getKey());
            if (e.getValue() instanceof GgufValue.Str s) {
                // ggml hands strings out as C strings: they end at the first NUL
                int nul = s.value().indexOf('\0');
                assertEquals(nul < 0 ? s.value() : s.value().substring(0, nul), g.value(), e.getKey());
            } else {
                assertEquals(GgmlReference.plain(e.getValue()), g.value(), e.getKey());
            }
        }
        assertEquals(List.of(new GgmlReference.Tensor("t", 0, List.of(4L, 2L, 1L, 1L), 0, 32)), ggml.tensors());
    }

    @Test
    void tensorsOfSeveralTypesAndAlignments() throws IOException {
        Random rnd = new Random(42);
        for (int alignment : new int[] {1, 8, 32, 64, 4096}) {
            byte[] q4 = new byte[18 * 2 * 3];
            rnd.nextBytes(q4);
            byte[] f16 = new byte[2 * 7];
            rnd.nextBytes(f16);
            float[] f32 = new float[5];
            for (int i = 0; i < f32.length; i++) {
                f32[i] = (float) rnd.nextGaussian();
            }
            Path p = dir.resolve("t" + alignment + ".gguf");
            GgufWriter w = new GgufWriter().alignment(alignment).putString("general.architecture", "t")
                    .addTensor("q", GgmlType.Q4_0, new long[] {64, 3}, q4)
                    .addTensor("h", GgmlType.F16, new long[] {7}, f16)
                    .addTensor("f", f32);
            w.write(p);
            try (GgufFile f = GgufFile.open(p)) {
                assertEquals(alignment, f.alignment());
                assertEquals(w.tensors(), f.tensors());
                assertArrayEquals(q4, bytes(f.tensorBytes("q")));
                assertArrayEquals(f16, bytes(f.tensorBytes("h")));
                ByteBuffer fb = f.tensorBytes("f");
                for (float x : f32) {
                    assertEquals(x, fb.getFloat());
                }
                for (GgufTensorInfo t : f.tensors()) {
                    assertEquals(0, t.offset() % alignment);
                    assertEquals(0, f.dataOffset() % alignment);
                }
            }
            GgmlReference g = GgmlReference.read(p);
            assertNotNull(g);
            assertEquals(alignment, g.alignment());
            try (GgufFile f = GgufFile.open(p)) {
                assertEquals(g.dataOffset(), f.dataOffset());
                assertEquals(g.tensors(), GgmlReference.ofOurs(f).tensors());
            }
            assertEquals(Files.size(p), w.writeTo(java.nio.channels.Channels.newChannel(java.io.OutputStream.nullOutputStream())));
        }
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    @Test
    void aGgufInsideALargerFileReadsTheSame() throws IOException {
        Path p = dir.resolve("inner.gguf");
        writerWith(everyValueType(true)).addTensor("t", new float[] {1, 2, 3}).addTensor("u", new float[] {4}).write(p);
        byte[] inner = Files.readAllBytes(p);
        byte[] prefix = new byte[1001]; // deliberately not aligned to anything
        new Random(1).nextBytes(prefix);
        byte[] outer = new byte[prefix.length + inner.length + 77];
        System.arraycopy(prefix, 0, outer, 0, prefix.length);
        System.arraycopy(inner, 0, outer, prefix.length, inner.length);
        Path big = dir.resolve("outer.bin");
        Files.write(big, outer);
        try (GgufFile a = GgufFile.open(p); GgufFile b = GgufFile.open(big, prefix.length)) {
            assertEquals(a.metadata().toMap(), b.metadata().toMap());
            assertEquals(a.tensors(), b.tensors());
            assertEquals(a.dataOffset(), b.dataOffset());
            assertEquals(prefix.length, b.startOffset());
            assertEquals(outer.length, b.fileSize());
            assertArrayEquals(bytes(a.tensorBytes("t")), bytes(b.tensorBytes("t")));
            assertArrayEquals(bytes(a.tensorBytes("u")), bytes(b.tensorBytes("u")));
        }
    }

    // ---- atomic output ----

    private List<Path> filesIn(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.sorted().toList();
        }
    }

    @Test
    void aSourceThrowingMidwayLeavesTheTargetAndNoTemporaryFile() throws IOException {
        Path target = dir.resolve("model.gguf");
        Files.writeString(target, "previous content");
        GgufWriter w = new GgufWriter().putString("general.architecture", "x")
                .addTensor("ok", new float[1024])
                .addTensor("boom", GgmlType.F32, new long[] {1 << 16}, out -> {
                    out.write(ByteBuffer.allocate(1000));
                    throw new IllegalStateException("disk on fire");
                });
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.write(target));
        assertEquals("disk on fire", e.getMessage());
        assertEquals("previous content", Files.readString(target));
        assertEquals(List.of(target), filesIn(dir));
    }

    @Test
    void wrongByteCountsAndIoErrorsFailCleanly() throws IOException {
        Path target = dir.resolve("model.gguf");
        GgufWriter tooFew = new GgufWriter().addTensor("t", GgmlType.F32, new long[] {8},
                out -> out.write(ByteBuffer.allocate(31)));
        assertTrue(assertThrows(GgufFormatException.class, () -> tooFew.write(target)).getMessage().contains("wrote 31"));
        GgufWriter tooMany = new GgufWriter().addTensor("t", GgmlType.F32, new long[] {8},
                out -> out.write(ByteBuffer.allocate(33)));
        assertTrue(assertThrows(GgufFormatException.class, () -> tooMany.write(target)).getMessage().contains("more than 32"));
        GgufWriter io = new GgufWriter().addTensor("t", GgmlType.F32, new long[] {8}, out -> {
            throw new IOException("device gone");
        });
        assertTrue(assertThrows(StorageException.class, () -> io.write(target)).getMessage().contains("device gone"));
        assertFalse(Files.exists(target));
        assertEquals(List.of(), filesIn(dir));
        assertThrows(StorageException.class, () -> new GgufWriter().write(dir.resolve("no/such/dir/x.gguf")));
    }

    @Test
    void replacesAnExistingFileWholly() throws IOException {
        Path target = dir.resolve("m.gguf");
        Files.write(target, new byte[100_000]);
        new GgufWriter().putString("general.architecture", "new").write(target);
        try (GgufFile f = GgufFile.open(target)) {
            assertEquals("new", f.metadata().architecture());
            assertTrue(Files.size(target) < 1000);
        }
    }

    // ---- validation ----

    @Test
    void refusesWhatTheReaderWouldRefuse() {
        GgufWriter w = new GgufWriter().putUInt32("k", 1).addTensor("t", new float[8]);
        assertThrows(GgufFormatException.class, () -> w.putUInt32("k", 2));
        assertThrows(GgufFormatException.class, () -> w.addTensor("t", new float[8]));
        assertThrows(GgufFormatException.class, () -> w.putString("", "x"));
        assertThrows(GgufFormatException.class, () -> w.putString("a\0b", "x"));
        assertThrows(GgufFormatException.class, () -> w.putString("\uD800", "x"));
        assertThrows(GgufFormatException.class, () -> w.putString("k".repeat(70_000), "x"));
        assertThrows(GgufFormatException.class, () -> w.addTensor("x".repeat(64), new float[8]));
        assertThrows(GgufFormatException.class, () -> w.addTensor("é".repeat(32), new float[8])); // 64 bytes
        w.addTensor("é".repeat(31) + "x", new float[8]);
        assertThrows(GgufFormatException.class, () -> w.addTensor("d0", GgmlType.F32, new long[0], new byte[0]));
        assertThrows(GgufFormatException.class, () -> w.addTensor("d5", GgmlType.F32, new long[] {1, 1, 1, 1, 1}, new byte[4]));
        assertThrows(GgufFormatException.class, () -> w.addTensor("z", GgmlType.F32, new long[] {8, 0}, new byte[0]));
        assertThrows(GgufFormatException.class, () -> w.addTensor("neg", GgmlType.F32, new long[] {-8}, new byte[0]));
        assertThrows(GgufFormatException.class, () -> w.addTensor("blk", GgmlType.Q4_K, new long[] {128}, new byte[72]));
        assertThrows(GgufFormatException.class, () -> w.addTensor("len", GgmlType.F32, new long[] {8}, new byte[31]));
        assertThrows(GgufFormatException.class, () -> w.addTensor("fl", new float[8], 3));
        assertThrows(GgufFormatException.class, () -> w.addTensor("huge", GgmlType.F32, new long[] {1L << 40, 1L << 40},
                out -> { }));
        assertThrows(GgufFormatException.class, () -> w.alignment(0));
        assertThrows(GgufFormatException.class, () -> w.alignment(13));
        assertThrows(GgufFormatException.class, () -> w.alignment(1 << 30));
        assertThrows(GgufFormatException.class, () -> w.set("general.alignment", new GgufValue.Int32(32)));
        assertThrows(IllegalArgumentException.class, () -> new GgufValue.UInt8(256));
        assertThrows(IllegalArgumentException.class, () -> new GgufValue.UInt32(-1));
        assertThrows(IllegalArgumentException.class,
                () -> GgufArray.of(GgufValueType.INT32, List.of(new GgufValue.UInt8(1))));
        GgufArray deep = GgufArray.ofInts(1);
        for (int i = 0; i < 15; i++) {
            deep = GgufArray.of(GgufValueType.ARRAY, List.of(deep));
        }
        GgufArray tooDeep = deep;
        assertThrows(IllegalArgumentException.class, () -> GgufArray.of(GgufValueType.ARRAY, List.of(tooDeep)));
        // nothing refused got in
        assertEquals(List.of("k"), w.keys());
        assertEquals(List.of("t", "é".repeat(31) + "x"), w.tensors().stream().map(GgufTensorInfo::name).toList());
    }

    @Test
    void tensorSizesSummingPastTwoToTheSixtyThreeAreRefused() {
        GgufWriter w = new GgufWriter();
        for (String n : new String[] {"a", "b", "c"}) {
            w.addTensor(n, GgmlType.I8, new long[] {1L << 61, 2}, out -> { });
        }
        assertThrows(GgufFormatException.class, w::tensors);
        assertThrows(GgufFormatException.class, () -> w.write(dir.resolve("x.gguf")));
    }

    // ---- copying ----

    @Test
    void copyWithChanges() throws IOException {
        Path src = dir.resolve("src.gguf");
        float[] a = {1, 2, 3, 4};
        new GgufWriter().putString("general.architecture", "llama").putUInt32("general.file_type", 0)
                .putString("drop.me", "x").putStrings("tokenizer.ggml.tokens", List.of("a", "b"))
                .addTensor("a", a).addTensor("b", new float[] {5, 6}).addTensor("c", new float[32]).write(src);
        Path dst = dir.resolve("dst.gguf");
        byte[] q8 = new byte[34];
        q8[0] = 1;
        try (GgufFile in = GgufFile.open(src)) {
            GgufWriter w = GgufWriter.copyOf(in)
                    .set("general.file_type", new GgufValue.UInt32(7))
                    .putString("general.quantized_by", "test");
            assertTrue(w.remove("drop.me"));
            assertTrue(w.removeTensor("b"));
            w.replaceTensor("c", GgmlType.Q8_0, new long[] {32}, TensorSource.of(q8));
            w.write(dst);
        }
        try (GgufFile out = GgufFile.open(dst)) {
            assertEquals(List.of("general.architecture", "general.file_type", "tokenizer.ggml.tokens",
                    "general.quantized_by"), out.metadata().keys());
            assertEquals(7, out.metadata().getInt("general.file_type"));
            assertEquals(List.of("a", "b"), out.metadata().getStringArray("tokenizer.ggml.tokens"));
            assertEquals(List.of("a", "c"), out.tensors().stream().map(GgufTensorInfo::name).toList());
            assertEquals(GgmlType.Q8_0, out.tensor("c").orElseThrow().type());
            assertArrayEquals(q8, bytes(out.tensorBytes("c")));
            ByteBuffer ab = out.tensorBytes("a").order(ByteOrder.LITTLE_ENDIAN);
            for (float x : a) {
                assertEquals(x, ab.getFloat());
            }
        }
        // a copy whose source is closed before writing fails cleanly
        GgufWriter late;
        try (GgufFile in = GgufFile.open(src)) {
            late = GgufWriter.copyOf(in);
        }
        Path lost = dir.resolve("late.gguf");
        assertThrows(ResourceClosedException.class, () -> late.write(lost));
        assertFalse(Files.exists(lost));
        assertEquals(List.of(dst, src), filesIn(dir));
    }

    @Test
    void rewritingAFileWhileItIsOpen() {
        Path p = dir.resolve("self.gguf");
        new GgufWriter().putString("general.architecture", "a").addTensor("t", new float[] {1, 2}).write(p);
        try (GgufFile old = GgufFile.open(p)) {
            GgufWriter.copyOf(old).set("general.architecture", new GgufValue.Str("b")).write(p);
            // the rename left the old file's mapping intact
            assertEquals("a", old.metadata().architecture());
            assertEquals(2f, old.tensorBytes("t").getFloat(4));
        }
        try (GgufFile now = GgufFile.open(p)) {
            assertEquals("b", now.metadata().architecture());
            assertEquals(2f, now.tensorBytes("t").getFloat(4));
        }
    }

    @Test
    void detachedArraysOutliveTheirFile() {
        Path p = dir.resolve("v.gguf");
        new GgufWriter().putStrings("s", List.of("one", "two")).write(p);
        GgufArray view;
        GgufArray copy;
        try (GgufFile f = GgufFile.open(p)) {
            view = f.metadata().getArray("s");
            copy = view.detach();
            assertEquals(view, copy);
        }
        assertThrows(ResourceClosedException.class, () -> view.get(0));
        assertEquals(List.of("one", "two"), copy.strings());
        assertEquals(GgufArray.ofStrings("one", "two"), copy);
        assertEquals(GgufArray.ofStrings("one", "two").hashCode(), copy.hashCode());
        assertFalse(copy.equals(GgufArray.ofStrings("one", "three")));
        assertTrue(Arrays.asList(copy.toString().split(" ")).contains("x"));
    }

    /** The bulk decode gives the same strings as element-wise reads, for mapped, nested and detached arrays. */
    @Test
    void toStringListDecodesEveryStringAtOnce() {
        List<String> texts = new ArrayList<>(List.of("", "a", "héllo, 世界 🦙", "\u0000 inside", "▁the", "<0x0A>"));
        Random r = new Random(7);
        for (int i = 0; i < 500; i++) {
            StringBuilder b = new StringBuilder();
            for (int k = r.nextInt(12); k > 0; k--) {
                b.appendCodePoint(r.nextInt(4) == 0 ? 0x4E00 + r.nextInt(500) : 'a' + r.nextInt(26));
            }
            texts.add(b.toString());
        }
        Path p = dir.resolve("s.gguf");
        new GgufWriter().putStrings("s", texts)
                .put("nested", GgufArray.of(GgufValueType.ARRAY, List.of(GgufArray.ofStrings("x", "yz"))))
                .put("ints", GgufArray.ofInts(1, 2)).write(p);
        GgufArray view;
        try (GgufFile f = GgufFile.open(p)) {
            view = f.metadata().getArray("s");
            List<String> all = view.toStringList();
            assertEquals(texts, all);
            assertEquals(view.strings(), all);
            assertThrows(UnsupportedOperationException.class, () -> all.set(0, "changed"));
            assertEquals(List.of("x", "yz"), ((GgufArray) f.metadata().getArray("nested").get(0)).toStringList());
            assertEquals(texts, view.detach().toStringList());
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> f.metadata().getArray("ints").toStringList());
            assertTrue(e.getMessage().contains("strings"), e.getMessage());
        }
        assertThrows(ResourceClosedException.class, view::toStringList);
        assertEquals(List.of(), GgufArray.ofStrings(List.of()).toStringList());
    }
}
