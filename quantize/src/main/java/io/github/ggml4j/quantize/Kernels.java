package io.github.ggml4j.quantize;

import io.github.ggml4j.NativeException;
import io.github.ggml4j.QuantizeException;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.nativ.NativeLoader;
import io.github.ggml4j.nativ.NativeStatus;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * ggml's row kernels as the quantizer uses them: conversion of a tensor's rows to f32 and quantization of f32 rows,
 * each split over threads. Every argument ggml would assert on is checked here first; segments are bounds-checked
 * by the caller's slicing.
 */
final class Kernels {

    /** llama-quantize's smallest unit of work per thread: 32 × 512 values. */
    private static final long MIN_CHUNK = 32 * 512;

    private Kernels() {
    }

    static void ensureLoaded() {
        NativeLoader.ensureLoaded();
    }

    /** Whether rows of {@code type} can be turned into f32 here. */
    static boolean canConvertToFloat(GgmlType type) {
        return type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16
                || (type.isQuantized() && TensorQuantizer.canQuantize(type));
    }

    /**
     * Converts {@code n} values of {@code type} at {@code src} into f32 at {@code dst}, over {@code pool}'s threads
     * in whole blocks.
     */
    static void toFloat(GgmlType type, MemorySegment src, MemorySegment dst, long n, ExecutorService pool,
                        int threads) {
        if (!canConvertToFloat(type)) {
            throw new QuantizeException("cannot dequantize/convert tensor type " + type.ggmlName());
        }
        long block = type.blockSize();
        if (n % block != 0 || src.byteSize() < type.rowSize(n) || dst.byteSize() < n * Float.BYTES) {
            throw new IllegalArgumentException("bad conversion of " + n + " values of " + type);
        }
        if (type == GgmlType.F32) {
            MemorySegment.copy(src, 0, dst, 0, n * Float.BYTES);
            return;
        }
        long blocks = n / block;
        int parts = (int) Math.max(1, Math.min(threads, blocks / 64));
        long per = blocks / parts;
        List<Runnable> work = new ArrayList<>(parts);
        long at = 0;
        for (int p = 0; p < parts; p++) {
            long nb = p == parts - 1 ? blocks - at : per;
            long from = at;
            work.add(() -> convert(type, src.asSlice(from * type.typeSize(), nb * type.typeSize()),
                    dst.asSlice(from * block * Float.BYTES, nb * block * Float.BYTES), nb * block));
            at += nb;
        }
        run(work, pool);
    }

    private static void convert(GgmlType type, MemorySegment src, MemorySegment dst, long n) {
        switch (type) {
            case F16 -> GgmlLib.ggml_fp16_to_fp32_row(src, dst, n);
            case BF16 -> GgmlLib.ggml_bf16_to_fp32_row(src, dst, n);
            default -> {
                int st = GgmlLib.ggml4j_dequantize(type.id(), src, src.byteSize(), dst, n);
                if (st != NativeStatus.OK) {
                    throw new QuantizeException("converting " + type + " to float failed: " + NativeStatus.describe(st));
                }
            }
        }
    }

    /**
     * Quantizes {@code nrows} rows of {@code nPerRow} f32 values into {@code type}, in llama-quantize's chunks of
     * at least 16384 values, each chunk checked with ggml's row validation.
     *
     * @param imatrix {@code nPerRow} importance values, or {@link MemorySegment#NULL}
     */
    static void quantize(GgmlType type, MemorySegment src, MemorySegment dst, long nrows, long nPerRow,
                         MemorySegment imatrix, ExecutorService pool, int threads) {
        if (!TensorQuantizer.canQuantize(type)) {
            throw new QuantizeException("ggml cannot quantize to " + type.ggmlName());
        }
        if (nPerRow <= 0 || nPerRow % type.blockSize() != 0) {
            throw new QuantizeException("rows of " + nPerRow + " are not a whole number of " + type.ggmlName()
                    + " blocks of " + type.blockSize());
        }
        if (imatrix.equals(MemorySegment.NULL) && GgmlLib.ggml_quantize_requires_imatrix(type.id())) {
            throw new QuantizeException(type.ggmlName() + " needs an importance matrix");
        }
        if (!imatrix.equals(MemorySegment.NULL) && imatrix.byteSize() < nPerRow * Float.BYTES) {
            throw new IllegalArgumentException("importance matrix shorter than a row");
        }
        long rowSize = type.rowSize(nPerRow);
        if (src.byteSize() < nrows * nPerRow * Float.BYTES || dst.byteSize() < nrows * rowSize) {
            throw new IllegalArgumentException("buffers too small for " + nrows + " rows");
        }
        long chunkRows = nPerRow >= MIN_CHUNK ? 1 : (MIN_CHUNK + nPerRow - 1) / nPerRow;
        if (threads < 2) {
            chunk(type, src, dst, 0, nrows, nPerRow, rowSize, imatrix);
            return;
        }
        List<Runnable> work = new ArrayList<>();
        for (long row = 0; row < nrows; row += chunkRows) {
            long r0 = row;
            long n = Math.min(chunkRows, nrows - row);
            work.add(() -> chunk(type, src, dst, r0, n, nPerRow, rowSize, imatrix));
        }
        run(work, pool);
    }

    private static void chunk(GgmlType type, MemorySegment src, MemorySegment dst, long row, long n, long nPerRow,
                              long rowSize, MemorySegment imatrix) {
        MemorySegment in = src.asSlice(row * nPerRow * Float.BYTES, n * nPerRow * Float.BYTES);
        MemorySegment out = dst.asSlice(row * rowSize, n * rowSize);
        long written = GgmlLib.ggml_quantize_chunk(type.id(), in, out, 0, n, nPerRow, imatrix);
        if (written != n * rowSize) {
            throw new NativeException("ggml wrote " + written + " bytes of " + type + ", expected " + n * rowSize);
        }
        if (!GgmlLib.ggml_validate_row_data(type.id(), out, written)) {
            throw new QuantizeException("quantized data validation failed (" + type.ggmlName() + ")");
        }
    }

    private static void run(List<Runnable> work, ExecutorService pool) {
        if (work.size() == 1 || pool == null) {
            work.forEach(Runnable::run);
            return;
        }
        List<Future<?>> futures = new ArrayList<>(work.size());
        for (Runnable r : work) {
            futures.add(pool.submit(r));
        }
        RuntimeException failure = null;
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException re ? re
                            : new QuantizeException("quantizing failed: " + e.getCause(), e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                futures.forEach(x -> x.cancel(false));
                throw new QuantizeException("interrupted", e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
