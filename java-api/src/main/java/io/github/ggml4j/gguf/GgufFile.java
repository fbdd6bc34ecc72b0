package io.github.ggml4j.gguf;

import io.github.ggml4j.GgufFormatException;
import io.github.ggml4j.StorageException;
import io.github.ggml4j.nativ.GgufAccess;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A GGUF file (versions 2 and 3, little-endian), memory-mapped and validated.
 *
 * <p>{@link #open} maps the file read-only and walks its whole structure once: every length prefix, count,
 * type id and nesting level of the metadata, the tensor table, and that every tensor's data lies inside the
 * file without overlap. A malformed file fails there, with a {@link GgufFormatException} naming the cause and
 * the byte offset; nothing later can read past the end of the mapping. Values are not copied: metadata is
 * decoded on access and arrays are lazy views, so opening a multi-gigabyte model costs a system call and a
 * few kilobytes of heap. Tensor data stays in the mapping until {@link #close()} unmaps it; every use after
 * that throws {@link io.github.ggml4j.ResourceClosedException}.
 *
 * <p>Metadata strings are returned as data: malformed UTF-8 in a value decodes to U+FFFD; in a key or tensor
 * name it is an error. Limits: keys up to 65535 bytes, strings up to 1 GiB, arrays up to 2^30 elements and
 * 16 levels of nesting, tensor names up to 63 bytes, 1 to 4 dimensions of at least 1, {@code general.alignment}
 * a u32 power of two up to 1 MiB (default 32).
 *
 * <p>Instances are safe for concurrent reading. Closing while another thread reads makes that read throw
 * {@code ResourceClosedException}, never crash.
 *
 * {@snippet :
 * try (GgufFile gguf = GgufFile.open(Path.of("model.gguf"))) {
 *     System.out.println(gguf.metadata().architecture());
 *     for (GgufTensorInfo t : gguf.tensors()) {
 *         System.out.println(t.name() + " " + t.type() + " " + java.util.Arrays.toString(t.shape()));
 *     }
 *     ByteBuffer norm = gguf.tensorBytes("output_norm.weight"); // a read-only view of the mapping
 * }
 * }
 */
public final class GgufFile implements AutoCloseable {

    static {
        GgufAccess.register(new GgufAccess.Bridge() {
            @Override
            public MemorySegment mapping(GgufFile file) {
                file.mapping.check();
                return file.mapping.segment();
            }

            @Override
            public MemorySegment tensorData(GgufFile file, GgufTensorInfo tensor) {
                GgufTensorInfo own = file.requireTensor(tensor.name());
                if (!own.equals(tensor)) {
                    throw new IllegalArgumentException("tensor info " + tensor + " is not from " + file.origin);
                }
                return file.slice(own);
            }
        });
    }

    private final String origin;
    private final long startOffset;
    private final long fileSize;
    private final Mapping mapping;
    private final int version;
    private final int alignment;
    private final long dataOffset;
    private final GgufMetadata metadata;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> byName;
    private final int kvCount;

    private GgufFile(String origin, long startOffset, long fileSize, Mapping mapping, GgufParser.Result r) {
        this.origin = origin;
        this.startOffset = startOffset;
        this.fileSize = fileSize;
        this.mapping = mapping;
        this.version = r.version();
        this.alignment = r.alignment();
        this.dataOffset = r.dataOffset();
        this.metadata = new GgufMetadata(mapping, r.entries());
        this.kvCount = r.entries().size();
        this.tensors = r.tensors();
        this.byName = new HashMap<>();
        for (GgufTensorInfo t : tensors) {
            byName.put(t.name(), t);
        }
    }

    /**
     * Maps and validates a GGUF file.
     *
     * @throws GgufFormatException if the file is not a well-formed GGUF file
     * @throws StorageException    if it cannot be opened or mapped
     */
    public static GgufFile open(Path path) {
        return open(path, 0);
    }

    /**
     * Maps and validates a GGUF file that starts {@code startOffset} bytes into {@code path} (a GGUF embedded in a
     * larger file). Offsets this object reports, and the alignment of the data section, are relative to that
     * start, as ggml's reader does it.
     *
     * @throws IllegalArgumentException if {@code startOffset} is negative
     */
    public static GgufFile open(Path path, long startOffset) {
        Objects.requireNonNull(path, "path");
        if (startOffset < 0) {
            throw new IllegalArgumentException("negative start offset " + startOffset);
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (startOffset >= size) {
                throw new GgufFormatException(size == 0 ? "empty file " + path + ", not a GGUF file"
                        : "GGUF start offset " + startOffset + " is at or beyond the end of " + path + " (" + size + " bytes)");
            }
            Arena arena = Arena.ofShared();
            try {
                MemorySegment segment = ch.map(FileChannel.MapMode.READ_ONLY, startOffset, size - startOffset, arena);
                Mapping mapping = Mapping.ofFile(segment, arena, path.toString());
                return new GgufFile(path.toString(), startOffset, size, mapping, GgufParser.parse(segment));
            } catch (GgufFormatException e) {
                arena.close();
                throw withPath(path, e);
            } catch (IOException | RuntimeException | Error e) {
                arena.close();
                throw e;
            }
        } catch (NoSuchFileException e) {
            throw new StorageException("no such file: " + path, e);
        } catch (AccessDeniedException e) {
            throw new StorageException("permission denied: " + path, e);
        } catch (IOException e) {
            // mapping a directory fails with the OS's "No such device", which does not say what is wrong
            String why = Files.isDirectory(path) ? "it is a directory" : e.getMessage();
            throw new StorageException("cannot read " + path + ": " + why, e);
        }
    }

    /** The same error with the file named in front, keeping the offset. */
    private static GgufFormatException withPath(Path path, GgufFormatException e) {
        String message = e.getMessage();
        String suffix = " (at byte " + e.offset() + ")";
        if (e.offset() >= 0 && message.endsWith(suffix)) {
            message = message.substring(0, message.length() - suffix.length());
        }
        return new GgufFormatException(path + ": " + message, e.offset(), e);
    }

    /** Parses GGUF bytes held on the heap (tests and fuzzing; the model loader needs a mapped file). */
    static GgufFile fromBytes(byte[] bytes) {
        Mapping mapping = Mapping.ofHeap(bytes);
        return new GgufFile("(bytes)", 0, bytes.length, mapping, GgufParser.parse(mapping.segment()));
    }

    /** The path this file was opened from. */
    public String origin() {
        return origin;
    }

    /** The GGUF version, 2 or 3. */
    public int version() {
        check();
        return version;
    }

    /** The data alignment: {@code general.alignment}, or 32 where it is absent. */
    public int alignment() {
        check();
        return alignment;
    }

    /**
     * Where tensor data starts, in bytes from the start of the GGUF. Aligned when the file has tensors; for a
     * file without tensors it is the end of the header, as ggml's {@code gguf_get_data_offset} reports it.
     */
    public long dataOffset() {
        check();
        return dataOffset;
    }

    /** Size of the whole file on disk, including any bytes before {@link #startOffset()}. */
    public long fileSize() {
        check();
        return fileSize;
    }

    /** Where the GGUF starts within the file (0 unless opened with {@link #open(Path, long)}). */
    public long startOffset() {
        check();
        return startOffset;
    }

    public GgufMetadata metadata() {
        check();
        return metadata;
    }

    /** The tensor table, in file order. */
    public List<GgufTensorInfo> tensors() {
        check();
        return tensors;
    }

    public Optional<GgufTensorInfo> tensor(String name) {
        check();
        return Optional.ofNullable(byName.get(name));
    }

    /**
     * A tensor's bytes as a read-only little-endian view of the mapping (no copy). The buffer must not be used
     * after {@link #close()}: the JDK then refuses access with an {@code IllegalStateException}.
     *
     * @throws IllegalArgumentException if there is no such tensor or it is larger than 2 GiB (use
     *                                  {@link #readTensorBytes})
     */
    public ByteBuffer tensorBytes(String name) {
        GgufTensorInfo t = requireTensor(name);
        if (t.byteSize() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + t.byteSize()
                    + " bytes, more than a ByteBuffer holds; use readTensorBytes");
        }
        try {
            return slice(t).asByteBuffer().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        } catch (IllegalStateException e) {
            throw mapping.closed(e);
        }
    }

    /**
     * Copies {@code length} bytes of a tensor, starting {@code offset} bytes into its data, into {@code dst}.
     *
     * @throws IllegalArgumentException  if there is no such tensor
     * @throws IndexOutOfBoundsException if the ranges fall outside the tensor or {@code dst}
     */
    public void readTensorBytes(String name, long offset, byte[] dst, int dstOffset, int length) {
        GgufTensorInfo t = requireTensor(name);
        Objects.checkFromIndexSize(dstOffset, length, dst.length);
        Objects.checkFromIndexSize(offset, length, t.byteSize());
        try {
            MemorySegment.copy(mapping.segment(), ValueLayout.JAVA_BYTE, dataOffset + t.offset() + offset, dst,
                    dstOffset, length);
        } catch (IllegalStateException e) {
            throw mapping.closed(e);
        }
    }

    /** Whether {@link #close()} has not been called yet. */
    public boolean isOpen() {
        return mapping.isOpen();
    }

    /** Unmaps the file. Idempotent. Views obtained from this file become unusable. */
    @Override
    public void close() {
        mapping.close();
    }

    @Override
    public String toString() {
        return "GgufFile[" + origin + (isOpen() ? ", v" + version + ", " + kvCount + " keys, " + tensors.size()
                + " tensors]" : ", closed]");
    }

    // ---- package-private, for the writer and the bridge ----

    void check() {
        mapping.check();
    }

    Mapping mapping() {
        return mapping;
    }

    GgufTensorInfo requireTensor(String name) {
        check();
        GgufTensorInfo t = byName.get(Objects.requireNonNull(name, "name"));
        if (t == null) {
            throw new IllegalArgumentException("no tensor named '" + Wire.quote(name) + "' in " + origin);
        }
        return t;
    }

    /** Writes a tensor's bytes from the mapping to a channel, in chunks a ByteBuffer can hold. */
    void transferTensor(GgufTensorInfo t, WritableByteChannel out) throws IOException {
        MemorySegment data = slice(requireTensor(t.name()));
        try {
            for (long at = 0; at < data.byteSize(); ) {
                long n = Math.min(data.byteSize() - at, 1L << 30);
                ByteBuffer chunk = data.asSlice(at, n).asByteBuffer();
                while (chunk.hasRemaining()) {
                    out.write(chunk);
                }
                at += n;
            }
        } catch (IllegalStateException e) {
            throw mapping.closed(e);
        }
    }

    MemorySegment slice(GgufTensorInfo t) {
        check();
        return mapping.segment().asSlice(dataOffset + t.offset(), t.byteSize());
    }
}
