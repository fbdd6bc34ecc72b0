package io.github.ggml4j.memory;

import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.runtime.Batch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The per-step inputs of a {@link StreamedKvCache}'s attention groups: which batch token each query row is (a
 * stream without tokens of the group's count gets a dummy row), the [n_kv, perStream, 1, streams] masks, and the
 * row of the groups' results that is each token's. Host staging sized for the micro-batch, grown for rare steps.
 */
final class StreamMasks implements AutoCloseable {

    private final HParams hp;
    private final int window;
    private final Arena arena = Arena.ofShared();
    private MemorySegment maskHost;
    private MemorySegment rowsHost;
    private final MemorySegment backHost;
    private short[] maskRow16 = new short[0];
    private float[] maskRow32 = new float[0];

    StreamMasks(HParams hp, int streams, int streamCells, int window, int maxTokens) {
        this.hp = hp;
        this.window = window;
        try {
            int maxRows = maxTokens + streams;
            rowsHost = arena.allocate(4L * maxRows, 64);
            backHost = arena.allocate(4L * maxTokens, 64);
            maskHost = arena.allocate(4L * maxRows * streamCells, 64);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Fills the groups' query rows and masks and the gather back, for the batch's tokens of each stream. */
    void fill(StreamedKvCache.Inputs in, Batch batch, int[][] tokensOf, Cells[] cells, boolean causal) {
        int n = batch.size();
        boolean alibi = hp.maxAlibiBias() > 0;
        int base = 0;
        for (StreamedKvCache.GroupInputs gi : in.groups()) {
            StreamLayouts.Group g = gi.group();
            int nKv = g.attended();
            long rowBytes = (long) nKv * (in.flash() ? 2 : 4);
            ensureStaging(rowBytes * g.rows(), g.rows(), nKv);
            int[] seenPos = new int[nKv];
            for (int j = 0; j < g.streams(); j++) {
                int s = g.first() + j;
                boolean real = tokensOf[s].length == g.perStream();
                int lastSeq = Integer.MIN_VALUE;
                for (int t = 0; t < g.perStream(); t++) {
                    int r = j * g.perStream() + t;
                    int i = real ? tokensOf[s][t] : 0;
                    rowsHost.setAtIndex(ValueLayout.JAVA_INT, r, i);
                    if (real) {
                        backHost.setAtIndex(ValueLayout.JAVA_INT, i, base + r);
                        if (batch.seq(i) != lastSeq) {
                            cells[s].visibleTo(batch.seq(i), nKv, seenPos);
                            lastSeq = batch.seq(i);
                        }
                    }
                    if (in.flash()) {
                        if (real) {
                            KqMask.row16(maskRow16, seenPos, nKv, batch.position(i), causal, window, alibi);
                        } else {
                            dummyRow16(nKv);
                        }
                        MemorySegment.copy(maskRow16, 0, maskHost, ValueLayout.JAVA_SHORT, r * rowBytes, nKv);
                    } else {
                        if (real) {
                            KqMask.row32(maskRow32, seenPos, nKv, batch.position(i), causal, window, alibi);
                        } else {
                            dummyRow32(nKv);
                        }
                        MemorySegment.copy(maskRow32, 0, maskHost, ValueLayout.JAVA_FLOAT, r * rowBytes, nKv);
                    }
                }
            }
            KvTensors.set(gi.rows(), rowsHost, 4L * g.rows());
            KvTensors.set(gi.mask(), maskHost, rowBytes * g.rows());
            base += g.rows();
        }
        KvTensors.set(in.back(), backHost, 4L * n);
    }

    /** A stream without tokens of the group's count: a query that sees the stream's first cell, never read back. */
    private void dummyRow16(int nKv) {
        Arrays.fill(maskRow16, 0, nKv, KqMask.F16_NEG_INF);
        maskRow16[0] = 0;
    }

    private void dummyRow32(int nKv) {
        Arrays.fill(maskRow32, 0, nKv, Float.NEGATIVE_INFINITY);
        maskRow32[0] = 0;
    }

    /**
     * Staging grows for a rare step with more rows than the micro-batch and the streams (see
     * {@link StreamLayouts#groups}).
     */
    private void ensureStaging(long maskBytes, int rows, int nKv) {
        if (maskHost.byteSize() < maskBytes) {
            maskHost = Arena.ofAuto().allocate(maskBytes, 64);
        }
        if (rowsHost.byteSize() < 4L * rows) {
            rowsHost = Arena.ofAuto().allocate(4L * rows, 64);
        }
        if (maskRow16.length < nKv) {
            maskRow16 = new short[nKv];
            maskRow32 = new float[nKv];
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
