package io.github.ggml4j.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Opening is cheap: a 1 GiB model with a 150k-token vocabulary opens in well under 50 ms and allocates well
 * under 1 MB of heap, because the structure is walked over the mapping and nothing is materialized. The file
 * is written sparse (zero tensor data becomes holes), so the test costs no real disk space or I/O.
 */
class GgufOpenCostTest {

    private static final long GIB = 1L << 30;
    private static final int TENSORS = 64;
    private static final int VOCAB = 150_000;

    @TempDir
    Path dir;

    @Test
    void aOneGigabyteFileOpensFastAndLight() throws IOException {
        Path file = dir.resolve("big.gguf");
        writeSparse(file);
        assertTrue(Files.size(file) > GIB, "file is " + Files.size(file) + " bytes");

        long coldStart = System.nanoTime();
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(TENSORS, f.tensors().size());
        }
        long cold = System.nanoTime() - coldStart;
        for (int i = 0; i < 20; i++) {
            GgufFile.open(file).close(); // let the JIT see the walk
        }
        long[] times = new long[9];
        long[] allocs = new long[times.length];
        for (int i = 0; i < times.length; i++) {
            long a0 = Alloc.now();
            long t0 = System.nanoTime();
            GgufFile f = GgufFile.open(file);
            times[i] = System.nanoTime() - t0;
            allocs[i] = Alloc.now() - a0;
            assertEquals(VOCAB, f.metadata().getStringArray("tokenizer.ggml.tokens").size());
            f.close();
        }
        Arrays.sort(times);
        Arrays.sort(allocs);
        double medianMs = times[times.length / 2] / 1e6;
        long maxAlloc = allocs[allocs.length - 1];
        System.out.printf("GGUF open of %.2f GiB (%d tensors, %d-token vocab): first %.1f ms, warm median %.2f ms"
                        + " (min %.2f ms); heap allocated per open: median %d bytes, max %d bytes%n",
                Files.size(file) / (double) GIB, TENSORS, VOCAB, cold / 1e6, medianMs, times[0] / 1e6,
                allocs[allocs.length / 2], maxAlloc);
        assertTrue(medianMs < 50, "median open time " + medianMs + " ms");
        assertTrue(maxAlloc < 1_000_000, "open allocated " + maxAlloc + " bytes");

        // the data is really there, at the end of the mapping
        try (GgufFile f = GgufFile.open(file)) {
            GgufTensorInfo last = f.tensors().getLast();
            byte[] tail = new byte[16];
            f.readTensorBytes(last.name(), last.byteSize() - 16, tail, 0, 16);
            assertEquals(1, tail[15]);
        }
    }

    private static void writeSparse(Path file) throws IOException {
        List<String> tokens = new ArrayList<>(VOCAB);
        float[] scores = new float[VOCAB];
        for (int i = 0; i < VOCAB; i++) {
            tokens.add("tok" + i);
            scores[i] = -i;
        }
        GgufWriter w = new GgufWriter().putString("general.architecture", "llama")
                .putStrings("tokenizer.ggml.tokens", tokens).putFloats("tokenizer.ggml.scores", scores);
        long perTensor = GIB / TENSORS;
        for (int t = 0; t < TENSORS; t++) {
            boolean last = t == TENSORS - 1;
            w.addTensor("blk." + t + ".weight", GgmlType.F32, new long[] {4096, perTensor / 4 / 4096}, out -> {
                ByteBuffer zeros = ByteBuffer.allocate(1 << 20);
                for (long left = perTensor; left > 0; left -= 1 << 20) {
                    if (last && left == 1 << 20) {
                        zeros.put((1 << 20) - 1, (byte) 1);
                    }
                    out.write(zeros.clear());
                }
            });
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long size = w.writeTo(new Sparse(ch));
            ch.truncate(size);
            if (ch.size() < size) {
                ch.write(ByteBuffer.allocate(1), size - 1);
            }
        }
    }

    /** Turns all-zero buffers into holes, so a 1 GiB file of zeros costs nothing to write. */
    private record Sparse(FileChannel ch) implements WritableByteChannel {
        private static final ByteBuffer ZERO = ByteBuffer.allocateDirect(1 << 20);

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = src.remaining();
            if (n <= ZERO.capacity() && src.mismatch(ZERO.duplicate().limit(n)) == -1) {
                ch.position(ch.position() + n);
                src.position(src.limit());
                return n;
            }
            return ch.write(src);
        }

        @Override
        public boolean isOpen() {
            return ch.isOpen();
        }

        @Override
        public void close() {
        }
    }
}
