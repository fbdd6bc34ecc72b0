package io.github.ggml4j.quantize;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufTensorInfo;
import io.github.ggml4j.nativ.GgufAccess;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.Map;
import java.util.concurrent.ExecutorService;

/**
 * Writes one planned tensor's output bytes: copied from the mapping, or converted to f32 and quantized slab by
 * slab (whole rows, at most {@link QuantizeOptions#maxBufferBytes()} of buffers at a time, in native memory freed
 * after each tensor).
 */
final class TensorStreamer {

    private static final long COPY_CHUNK = 64L << 20;

    private final GgufFile src;
    private final Map<String, float[]> imatrix;
    private final QuantizeOptions options;
    private final ExecutorService pool;
    private final int threads;
    private final ProgressListener progress;
    private final int count;
    private final long totalBytes;
    private long doneBytes;

    TensorStreamer(GgufFile src, Map<String, float[]> imatrix, QuantizeOptions options, ExecutorService pool,
                   int threads, ProgressListener progress, int count, long totalBytes) {
        this.src = src;
        this.imatrix = imatrix;
        this.options = options;
        this.pool = pool;
        this.threads = threads;
        this.progress = progress;
        this.count = count;
        this.totalBytes = totalBytes;
    }

    void write(int index, TensorPlan plan, WritableByteChannel out) throws IOException {
        GgufTensorInfo info = src.tensor(plan.name()).orElseThrow();
        MemorySegment data = GgufAccess.tensorData(src, info);
        progress.progress(index, count, plan.name(), doneBytes, totalBytes);
        if (!plan.converts()) {
            for (long at = 0; at < data.byteSize(); at += COPY_CHUNK) {
                long n = Math.min(COPY_CHUNK, data.byteSize() - at);
                writeFully(out, data.asSlice(at, n).asByteBuffer());
                doneBytes += n;
                progress.progress(index, count, plan.name(), doneBytes, totalBytes);
            }
            return;
        }
        long[] ne = plan.shape();
        long nPerRow = ne[0];
        long rowsPerExpert = ne.length > 1 ? ne[1] : 1;
        long rows = plan.rows();
        GgmlType from = plan.from();
        GgmlType to = plan.to();
        long srcRow = from.rowSize(nPerRow);
        long dstRow = to.rowSize(nPerRow);
        long perRow = srcRow + dstRow + (from == GgmlType.F32 ? 0 : nPerRow * Float.BYTES);
        long slab = Math.max(1, Math.min(rows, options.maxBufferBytes() / perRow));
        // a slab never crosses an expert boundary: each expert has its own importance row
        if (slab < rows) {
            slab = Math.min(slab, rowsPerExpert);
        } else if (ne.length > 2 && ne[2] > 1) {
            slab = rowsPerExpert;
        }
        float[] w = imatrix.get(plan.name());
        long expertValues = nPerRow;
        boolean useImatrix = w != null && w.length == nPerRow * (ne.length > 2 ? ne[2] : 1);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment f32 = from == GgmlType.F32 ? null : arena.allocate(slab * nPerRow * Float.BYTES, 64);
            MemorySegment dst = arena.allocate(slab * dstRow, 64);
            MemorySegment im = useImatrix ? arena.allocateFrom(ValueLayout.JAVA_FLOAT, w) : MemorySegment.NULL;
            for (long r = 0; r < rows; ) {
                long expert = r / rowsPerExpert;
                long n = Math.min(slab, Math.min(rows - r, rowsPerExpert - r % rowsPerExpert));
                MemorySegment in = data.asSlice(r * srcRow, n * srcRow);
                MemorySegment floats;
                if (from == GgmlType.F32) {
                    floats = in;
                } else {
                    floats = f32.asSlice(0, n * nPerRow * Float.BYTES);
                    Kernels.toFloat(from, in, floats, n * nPerRow, pool, threads);
                }
                MemorySegment imRow = useImatrix ? im.asSlice(expert * expertValues * Float.BYTES,
                        expertValues * Float.BYTES) : MemorySegment.NULL;
                MemorySegment outRows = dst.asSlice(0, n * dstRow);
                Kernels.quantize(to, floats, outRows, n, nPerRow, imRow, pool, threads);
                for (long at = 0; at < outRows.byteSize(); at += COPY_CHUNK) {
                    writeFully(out, outRows.asSlice(at, Math.min(COPY_CHUNK, outRows.byteSize() - at)).asByteBuffer());
                }
                doneBytes += n * srcRow;
                progress.progress(index, count, plan.name(), doneBytes, totalBytes);
                r += n;
            }
        }
    }

    private static void writeFully(WritableByteChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }
}
