package io.github.ggml4j.gguf;

import io.github.ggml4j.GgufFormatException;
import io.github.ggml4j.StorageException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Writes GGUF v3 files: metadata of every value type, then the tensor table, then each tensor's data padded
 * to the alignment. Tensor data is streamed from a {@link TensorSource} per tensor, so nothing of model size is
 * held on the heap. Everything is validated as it is added, by the rules {@link GgufFile} reads with (key and
 * name limits, shapes, block multiples, duplicates, alignment), so a file this writes always reads back.
 *
 * <p>{@link #write(Path)} is atomic: it writes a temporary file in the target's directory, forces it to disk
 * and renames it over the target. On any failure, a throwing source included, the temporary file is deleted
 * and the target is left as it was.
 *
 * {@snippet :
 * new GgufWriter()
 *         .putString("general.architecture", "llama")
 *         .putUInt32("llama.context_length", 4096)
 *         .putStrings("tokenizer.ggml.tokens", List.of("<unk>", "<s>", "</s>"))
 *         .addTensor("output_norm.weight", new float[4096], 4096)
 *         .addTensor("token_embd.weight", GgmlType.Q8_0, new long[] {4096, 32000}, out -> streamRows(out))
 *         .write(Path.of("model.gguf"));
 *
 * // copy with changes, as the quantizer does
 * try (GgufFile in = GgufFile.open(src)) {
 *     GgufWriter w = GgufWriter.copyOf(in).set("general.file_type", new GgufValue.UInt32(7));
 *     w.replaceTensor("token_embd.weight", GgmlType.Q8_0, shape, quantizedSource);
 *     w.write(dst); // in must stay open until here
 * }
 * }
 */
public final class GgufWriter {

    private static final String ALIGNMENT_KEY = "general.alignment";
    private static final SecureRandom RANDOM = new SecureRandom();

    private record Planned(GgmlType type, long[] shape, long byteSize, TensorSource source) {
    }

    private final LinkedHashMap<String, GgufValue> metadata = new LinkedHashMap<>();
    private final LinkedHashMap<String, Planned> tensors = new LinkedHashMap<>();

    public GgufWriter() {
    }

    /**
     * A writer holding all metadata and tensors of {@code source}, in its order, to change and write. Values
     * and tensor data are read from {@code source} when the file is written, so it must stay open until then.
     */
    public static GgufWriter copyOf(GgufFile source) {
        GgufWriter w = new GgufWriter();
        GgufMetadata md = source.metadata();
        for (String key : md.keys()) {
            w.put(key, md.require(key));
        }
        for (GgufTensorInfo t : source.tensors()) {
            w.addTensor(t.name(), t.type(), t.shape(), out -> source.transferTensor(t, out));
        }
        return w;
    }

    // ---- metadata ----

    /**
     * Adds a key.
     *
     * @throws GgufFormatException if the key is already there, invalid (empty, over 65535 bytes, NUL), or the
     *                             value breaks a rule ({@code general.alignment} must be a u32 power of two)
     */
    public GgufWriter put(String key, GgufValue value) {
        if (metadata.containsKey(Objects.requireNonNull(key, "key"))) {
            throw new GgufFormatException("duplicate metadata key '" + Wire.quote(key) + "'");
        }
        return set(key, value);
    }

    /** Adds a key, or replaces its value keeping its position. */
    public GgufWriter set(String key, GgufValue value) {
        checkKey(key);
        checkValue(key, Objects.requireNonNull(value, "value"));
        metadata.put(key, value);
        return this;
    }

    /** Removes a key; returns whether it was there. */
    public boolean remove(String key) {
        return metadata.remove(key) != null;
    }

    public Optional<GgufValue> get(String key) {
        return Optional.ofNullable(metadata.get(key));
    }

    /** The keys, in the order they will be written. */
    public List<String> keys() {
        return List.copyOf(metadata.keySet());
    }

    public GgufWriter putString(String key, String value) {
        return put(key, new GgufValue.Str(value));
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, new GgufValue.Bool(value));
    }

    public GgufWriter putUInt32(String key, long value) {
        return put(key, new GgufValue.UInt32(value));
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, new GgufValue.Int32(value));
    }

    public GgufWriter putUInt64(String key, long value) {
        return put(key, new GgufValue.UInt64(value));
    }

    public GgufWriter putInt64(String key, long value) {
        return put(key, new GgufValue.Int64(value));
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, new GgufValue.Float32(value));
    }

    public GgufWriter putFloat64(String key, double value) {
        return put(key, new GgufValue.Float64(value));
    }

    public GgufWriter putStrings(String key, List<String> values) {
        return put(key, GgufArray.ofStrings(values));
    }

    public GgufWriter putFloats(String key, float... values) {
        return put(key, GgufArray.ofFloats(values));
    }

    public GgufWriter putInts(String key, int... values) {
        return put(key, GgufArray.ofInts(values));
    }

    /** Sets {@code general.alignment}: a power of two up to 1 MiB. Without it, files use 32. */
    public GgufWriter alignment(int alignment) {
        return set(ALIGNMENT_KEY, new GgufValue.UInt32(Integer.toUnsignedLong(alignment)));
    }

    // ---- tensors ----

    /**
     * Adds a tensor whose data {@code source} will stream.
     *
     * @param shape ggml's {@code ne}, row length first; 1 to 4 dimensions
     * @throws GgufFormatException if the name is taken or breaks ggml's limits, or the shape does not suit the type
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, TensorSource source) {
        if (tensors.containsKey(Objects.requireNonNull(name, "name"))) {
            throw new GgufFormatException("duplicate tensor name '" + Wire.quote(name) + "'");
        }
        return replaceTensor(name, type, shape, source);
    }

    /** Adds a tensor from its encoded bytes, which must be exactly its size. */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, byte[] data) {
        long size = GgufTensorInfo.of(name, type, 0, shape).byteSize();
        if (data.length != size) {
            throw new GgufFormatException("tensor '" + Wire.quote(name) + "' of shape " + TensorRules.shape(shape)
                    + " and type " + type.ggmlName() + " needs " + size + " bytes, got " + data.length);
        }
        return addTensor(name, type, shape, TensorSource.of(data));
    }

    /** Adds an f32 tensor; {@code shape} defaults to one dimension of {@code data.length}. */
    public GgufWriter addTensor(String name, float[] data, long... shape) {
        long[] ne = shape.length == 0 ? new long[] {data.length} : shape;
        long size = GgufTensorInfo.of(name, GgmlType.F32, 0, ne).byteSize();
        if (size != 4L * data.length) {
            throw new GgufFormatException("tensor '" + Wire.quote(name) + "' of shape " + TensorRules.shape(ne)
                    + " needs " + size / 4 + " floats, got " + data.length);
        }
        return addTensor(name, GgmlType.F32, ne, TensorSource.ofFloats(data));
    }

    /** Adds a tensor, or replaces one of the same name keeping its position (to change type or data). */
    public GgufWriter replaceTensor(String name, GgmlType type, long[] shape, TensorSource source) {
        Objects.requireNonNull(source, "source");
        GgufTensorInfo info = GgufTensorInfo.of(name, type, 0, shape);
        tensors.put(name, new Planned(type, info.shape(), info.byteSize(), source));
        return this;
    }

    /** Removes a tensor; returns whether it was there. */
    public boolean removeTensor(String name) {
        return tensors.remove(name) != null;
    }

    /** The tensor table as it will be written, offsets included. */
    public List<GgufTensorInfo> tensors() {
        int alignment = alignmentValue();
        List<GgufTensorInfo> out = new ArrayList<>(tensors.size());
        long offset = 0;
        for (Map.Entry<String, Planned> e : tensors.entrySet()) {
            Planned p = e.getValue();
            out.add(new GgufTensorInfo(e.getKey(), p.type(), p.shape(), offset, p.byteSize()));
            long padded = p.byteSize() + (-p.byteSize() & (alignment - 1));
            if (padded < 0 || offset > Long.MAX_VALUE - padded) {
                throw new GgufFormatException("the tensors' sizes add up to more than 2^63 bytes");
            }
            offset += padded;
        }
        return out;
    }

    // ---- output ----

    /**
     * Writes the file atomically: a temporary file next to {@code target}, forced to disk, then renamed over it.
     *
     * @throws StorageException    if writing fails (the target is then untouched)
     * @throws GgufFormatException if a source supplies the wrong number of bytes (likewise)
     */
    public void write(Path target) {
        Objects.requireNonNull(target, "target");
        List<GgufTensorInfo> table = tensors();
        byte[] header = header(table);
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = dir.resolve("." + abs.getFileName() + "." + HexFormat.of().toHexDigits(RANDOM.nextLong()) + ".tmp");
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                stream(ch, header, table);
                ch.force(true);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            syncDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            throw new StorageException("cannot create temporary file " + tmp + ": it exists", e);
        } catch (IOException e) {
            throw new StorageException("cannot write " + target + ": " + e, e);
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure is what the caller needs to see
                }
            }
        }
    }

    /**
     * Streams the file to a channel, without the atomicity of {@link #write(Path)}.
     *
     * @return the number of bytes written
     */
    public long writeTo(WritableByteChannel out) {
        Objects.requireNonNull(out, "out");
        List<GgufTensorInfo> table = tensors();
        try {
            return stream(out, header(table), table);
        } catch (IOException e) {
            throw new StorageException("cannot write GGUF: " + e, e);
        }
    }

    private long stream(WritableByteChannel out, byte[] header, List<GgufTensorInfo> table) throws IOException {
        int alignment = alignmentValue();
        writeFully(out, ByteBuffer.wrap(header));
        long written = header.length;
        ByteBuffer zeros = ByteBuffer.allocate(alignment);
        for (GgufTensorInfo t : table) {
            Counting counted = new Counting(out, t);
            tensors.get(t.name()).source().writeTo(counted);
            if (counted.written != t.byteSize()) {
                throw new GgufFormatException("tensor '" + Wire.quote(t.name()) + "': its source wrote "
                        + counted.written + " bytes, expected " + t.byteSize());
            }
            written += t.byteSize();
            int pad = (int) (-written & (alignment - 1));
            writeFully(out, zeros.clear().limit(pad));
            written += pad;
        }
        return written;
    }

    private byte[] header(List<GgufTensorInfo> table) {
        LeBytes b = new LeBytes(4096);
        b.u32(Limits.MAGIC);
        b.u32(Limits.MAX_VERSION);
        b.u64(table.size());
        b.u64(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            b.string(e.getKey());
            b.u32(e.getValue().type().id());
            Wire.encode(b, e.getValue());
        }
        for (GgufTensorInfo t : table) {
            b.string(t.name());
            b.u32(t.nDims());
            for (long d : t.shape()) {
                b.u64(d);
            }
            b.u32(t.type().id());
            b.u64(t.offset());
        }
        b.zeros(-b.size() & (alignmentValue() - 1));
        return b.toArray();
    }

    private int alignmentValue() {
        GgufValue a = metadata.get(ALIGNMENT_KEY);
        return a == null ? Limits.DEFAULT_ALIGNMENT : (int) ((GgufValue.UInt32) a).value();
    }

    private static void checkKey(String key) {
        Objects.requireNonNull(key, "key");
        byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
        if (utf8.length == 0) {
            throw new GgufFormatException("metadata key is empty");
        }
        if (utf8.length > Limits.MAX_KEY_BYTES) {
            throw new GgufFormatException("metadata key '" + Wire.quote(key) + "' is " + utf8.length
                    + " bytes; the limit is " + Limits.MAX_KEY_BYTES);
        }
        if (key.indexOf('\0') >= 0 || !new String(utf8, StandardCharsets.UTF_8).equals(key)) {
            throw new GgufFormatException("metadata key '" + Wire.quote(key) + "' contains a NUL or invalid Unicode");
        }
    }

    private static void checkValue(String key, GgufValue value) {
        if (value instanceof GgufValue.Str s && s.value().length() > Limits.MAX_STRING_BYTES / 3
                && s.value().getBytes(StandardCharsets.UTF_8).length > Limits.MAX_STRING_BYTES) {
            throw new GgufFormatException("metadata '" + Wire.quote(key) + "': string longer than 1 GiB");
        }
        if (key.equals(ALIGNMENT_KEY)) {
            if (!(value instanceof GgufValue.UInt32 u)) {
                throw new GgufFormatException(ALIGNMENT_KEY + " must be u32, not " + value.type().shortName());
            }
            long a = u.value();
            if (a == 0 || (a & (a - 1)) != 0 || a > Limits.MAX_ALIGNMENT) {
                throw new GgufFormatException(ALIGNMENT_KEY + " " + a + " is not a power of two up to "
                        + Limits.MAX_ALIGNMENT);
            }
        }
    }

    private static void writeFully(WritableByteChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }

    private static void syncDirectory(Path dir) {
        // makes the rename durable; not every platform can open a directory, and the file is complete anyway
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort
        }
    }

    /** Passes one tensor's bytes through, refusing more than its size. */
    private static final class Counting implements WritableByteChannel {
        private final WritableByteChannel out;
        private final GgufTensorInfo tensor;
        long written;

        Counting(WritableByteChannel out, GgufTensorInfo tensor) {
            this.out = out;
            this.tensor = tensor;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = src.remaining();
            if (written + n > tensor.byteSize()) {
                throw new GgufFormatException("tensor '" + Wire.quote(tensor.name()) + "': its source wrote more than "
                        + tensor.byteSize() + " bytes");
            }
            writeFully(out, src);
            written += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return out.isOpen();
        }

        @Override
        public void close() {
            // the writer owns the file; a source closing it would be a bug, so this is a no-op
        }
    }
}
