package io.github.ggml4j.gguf;

import io.github.ggml4j.GgufFormatException;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * Validates the structure of a GGUF file in one pass over its bytes: header, every metadata value (lengths,
 * counts, type ids, nesting), the tensor table, and that every tensor's data lies inside the file without
 * overlapping another. It keeps only keys, value positions and tensor infos; values stay in the file.
 */
final class GgufParser {

    /** Smallest possible metadata entry: 8-byte length, 1-byte key, 4-byte type, 1-byte value. */
    private static final int MIN_KV_BYTES = 14;
    /** Smallest possible tensor info: 8 + 1 name, 4 n_dims, 8 one dimension, 4 type, 8 offset. */
    private static final int MIN_TENSOR_BYTES = 33;

    record Result(int version, LinkedHashMap<String, GgufMetadata.Entry> entries, int alignment,
                  List<GgufTensorInfo> tensors, long dataOffset) {
    }

    private GgufParser() {
    }

    static Result parse(MemorySegment segment) {
        long size = segment.byteSize();
        if (size == 0) {
            throw new GgufFormatException("empty file, not a GGUF file", 0);
        }
        Cursor c = new Cursor(segment, 0, size);
        int magic = c.i32("the magic number");
        if (magic != Limits.MAGIC) {
            throw new GgufFormatException("not a GGUF file: it starts with " + printable(magic)
                    + " instead of 'GGUF'", 0);
        }
        int version = c.i32("the version");
        checkVersion(version);
        long nTensors = c.u64("the tensor count");
        long nKv = c.u64("the metadata count");
        if (nTensors < 0 || nTensors > c.remaining() / MIN_TENSOR_BYTES) {
            throw new GgufFormatException("header claims " + Long.toUnsignedString(nTensors) + " tensors, more than the "
                    + c.remaining() + " bytes left in the file could describe", 8);
        }
        if (nKv < 0 || nKv > c.remaining() / MIN_KV_BYTES) {
            throw new GgufFormatException("header claims " + Long.toUnsignedString(nKv) + " metadata entries, more"
                    + " than the " + c.remaining() + " bytes left in the file could hold", 16);
        }
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder();
        LinkedHashMap<String, GgufMetadata.Entry> entries = new LinkedHashMap<>();
        for (long i = 0; i < nKv; i++) {
            c.context("metadata entry #" + i, null);
            long keyAt = c.pos();
            long keyLength = c.u64("the length of a key");
            if (keyLength == 0) {
                throw c.error("the key is empty", keyAt);
            }
            if (keyLength < 0 || keyLength > Limits.MAX_KEY_BYTES) {
                throw c.error("key length " + Long.toUnsignedString(keyLength) + " exceeds the limit of "
                        + Limits.MAX_KEY_BYTES + " bytes", keyAt);
            }
            String key = decodeStrict(utf8, c.bytes((int) keyLength, "a key"), c, "key", keyAt);
            if (entries.containsKey(key)) {
                throw c.error("duplicate metadata key '" + Wire.quote(key) + "'", keyAt);
            }
            c.context("metadata", key);
            long typeAt = c.pos();
            GgufValueType type = Wire.valueType(c, c.i32("a value type"), typeAt);
            long valueAt = c.pos();
            Wire.skipValue(c, type, 0);
            entries.put(key, new GgufMetadata.Entry(type, valueAt, c.pos() - valueAt));
        }
        int alignment = alignment(segment, entries);
        List<GgufTensorInfo> tensors = new ArrayList<>((int) Math.min(nTensors, 1024));
        Set<String> names = new HashSet<>();
        long total = 0;
        for (long i = 0; i < nTensors; i++) {
            c.context("tensor #" + i, null);
            long at = c.pos();
            long nameLength = c.u64("the length of a tensor name");
            if (nameLength == 0) {
                throw c.error("the name is empty", at);
            }
            if (nameLength < 0 || nameLength > Limits.MAX_TENSOR_NAME_BYTES) {
                throw c.error("name is " + Long.toUnsignedString(nameLength) + " bytes; ggml allows at most "
                        + Limits.MAX_TENSOR_NAME_BYTES, at);
            }
            String name = decodeStrict(utf8, c.bytes((int) nameLength, "a tensor name"), c, "name", at);
            if (!names.add(name)) {
                throw c.error("duplicate tensor name '" + Wire.quote(name) + "'", at);
            }
            c.context("tensor", name);
            int nDims = c.i32("the dimension count");
            if (nDims <= 0 || nDims > Limits.MAX_DIMS) {
                throw c.error("dimension count " + Integer.toUnsignedString(nDims) + " is out of range; ggml allows 1 to "
                        + Limits.MAX_DIMS, at);
            }
            long[] ne = new long[nDims];
            for (int d = 0; d < nDims; d++) {
                ne[d] = c.i64("a dimension");
            }
            long typeAt = c.pos();
            int typeId = c.i32("the tensor type");
            GgmlType type;
            try {
                type = GgmlType.fromId(typeId);
            } catch (GgufFormatException e) {
                throw c.error(e.getMessage(), typeAt);
            }
            long byteSize = TensorRules.byteSize(name, type, ne, at);
            long offsetAt = c.pos();
            long offset = c.u64("the tensor data offset");
            if (offset < 0) {
                throw c.error("data offset " + Long.toUnsignedString(offset) + " is beyond any file", offsetAt);
            }
            if (offset % alignment != 0) {
                throw c.error("data offset " + offset + " is not a multiple of the alignment " + alignment, offsetAt);
            }
            long padded = byteSize + (-byteSize & (alignment - 1));
            if (padded < 0 || total > Long.MAX_VALUE - padded) {
                throw c.error("the tensors' sizes add up to more than 2^63 bytes", at);
            }
            total += padded;
            tensors.add(new GgufTensorInfo(name, type, ne, offset, byteSize));
        }
        // like ggml: the data section is aligned only when there is data
        long dataOffset = c.pos();
        if (nTensors > 0) {
            dataOffset += -dataOffset & (alignment - 1);
            if (dataOffset > size) {
                throw new GgufFormatException("file ends before its tensor data section at byte " + dataOffset, size);
            }
        }
        checkDataLayout(tensors, size - dataOffset, dataOffset);
        return new Result(version, entries, alignment, List.copyOf(tensors), dataOffset);
    }

    private static void checkVersion(int version) {
        if (version == 0) {
            throw new GgufFormatException("GGUF version 0 is invalid", 4);
        }
        if ((version & 0xFFFF) == 0) {
            throw new GgufFormatException("GGUF version reads as 0x" + Integer.toHexString(version)
                    + ": this is a big-endian (byte-swapped) file, and only little-endian GGUF is supported", 4);
        }
        if (version == 1) {
            throw new GgufFormatException("GGUF version 1 is no longer supported (versions "
                    + Limits.MIN_VERSION + " and " + Limits.MAX_VERSION + " are)", 4);
        }
        if (Integer.compareUnsigned(version, Limits.MAX_VERSION) > 0) {
            throw new GgufFormatException("GGUF version " + Integer.toUnsignedString(version)
                    + " is newer than this reader supports (" + Limits.MIN_VERSION + " to " + Limits.MAX_VERSION + ")", 4);
        }
    }

    private static int alignment(MemorySegment s, LinkedHashMap<String, GgufMetadata.Entry> entries) {
        GgufMetadata.Entry e = entries.get("general.alignment");
        if (e == null) {
            return Limits.DEFAULT_ALIGNMENT;
        }
        if (e.type() != GgufValueType.UINT32) {
            throw new GgufFormatException("general.alignment must be u32 but is " + e.type().shortName(), e.offset());
        }
        long a = Integer.toUnsignedLong(s.get(Cursor.I32, e.offset()));
        if (a == 0 || (a & (a - 1)) != 0) {
            throw new GgufFormatException("general.alignment " + a + " is not a power of two", e.offset());
        }
        if (a > Limits.MAX_ALIGNMENT) {
            throw new GgufFormatException("general.alignment " + a + " exceeds the maximum of " + Limits.MAX_ALIGNMENT,
                    e.offset());
        }
        return (int) a;
    }

    /** Every tensor's bytes inside the file, and no two tensors sharing a byte. */
    private static void checkDataLayout(List<GgufTensorInfo> tensors, long dataLength, long dataOffset) {
        for (GgufTensorInfo t : tensors) {
            if (t.byteSize() > dataLength || t.offset() > dataLength - t.byteSize()) {
                throw new GgufFormatException("tensor '" + Wire.quote(t.name()) + "' needs bytes " + t.offset() + " to "
                        + (t.offset() + t.byteSize()) + " of the data section, but the file holds only " + dataLength
                        + " bytes of data (truncated file?)", dataOffset);
            }
        }
        GgufTensorInfo[] byOffset = tensors.toArray(GgufTensorInfo[]::new);
        Arrays.sort(byOffset, Comparator.comparingLong(GgufTensorInfo::offset));
        for (int i = 1; i < byOffset.length; i++) {
            GgufTensorInfo a = byOffset[i - 1];
            GgufTensorInfo b = byOffset[i];
            if (a.offset() + a.byteSize() > b.offset()) {
                throw new GgufFormatException("tensors '" + Wire.quote(a.name()) + "' and '" + Wire.quote(b.name())
                        + "' overlap in the data section", dataOffset + b.offset());
            }
        }
    }

    private static String decodeStrict(CharsetDecoder utf8, byte[] bytes, Cursor c, String what, long at) {
        String s;
        try {
            s = utf8.reset().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw c.error("the " + what + " is not valid UTF-8", at);
        }
        if (s.indexOf('\0') >= 0) {
            throw c.error("the " + what + " '" + Wire.quote(s) + "' contains a NUL byte", at);
        }
        return s;
    }

    private static String printable(int magic) {
        StringBuilder b = new StringBuilder("'");
        for (int i = 0; i < 4; i++) {
            int ch = (magic >>> (8 * i)) & 0xFF;
            b.append(ch >= 0x20 && ch < 0x7F ? String.valueOf((char) ch) : String.format("\\x%02x", ch));
        }
        return b.append('\'').toString();
    }
}
