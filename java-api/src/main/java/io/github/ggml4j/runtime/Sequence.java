package io.github.ggml4j.runtime;

import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.nativ.NativeStatus;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * The engine's record of one sequence: its id in memory, the token at each of its positions, and the output
 * row of its last evaluated token. Changed only on the engine's thread; its session reads it after the
 * request or control task that changed it completed (which orders the reads after the writes).
 */
public final class Sequence {

    final int id;
    final int limit;
    final boolean waitWhenFull;
    private int[] history = new int[64];
    private int size;
    /** The last output row on the heap: current unless {@link #nativeCurrent}; materialized on demand. */
    private float[] lastOutput;
    /** The last output row in native memory, copied there from the graph's output by the engine. */
    private MemorySegment nativeOutput;
    private FloatBuffer nativeView;
    /** Two int64 results of the native greedy pick (index, first non-finite index). */
    private MemorySegment pick;
    private boolean nativeCurrent;
    private boolean hasOutput;
    volatile boolean generating;
    volatile boolean expectMore;
    volatile Request pending;
    boolean cached;
    int lastReused;
    boolean released;

    Sequence(int id, int limit, boolean waitWhenFull) {
        this.id = id;
        this.limit = limit;
        this.waitWhenFull = waitWhenFull;
    }

    /** Positions held: the next token's position. */
    public int position() {
        return size;
    }

    /** Whether a request waits for free cells when the shared memory is full (else it fails). */
    public boolean waitWhenFull() {
        return waitWhenFull;
    }

    /** Positions this sequence may hold. */
    public int limit() {
        return limit;
    }

    /** The tokens at positions 0..position()-1. */
    public int[] tokens() {
        return Arrays.copyOf(history, size);
    }

    /** The output row (logits) of the last evaluated token, or null; owned by the engine, do not modify. */
    public float[] lastOutput() {
        if (!hasOutput) {
            return null;
        }
        if (nativeCurrent) {
            int width = (int) (nativeOutput.byteSize() / 4);
            if (lastOutput == null || lastOutput.length != width) {
                lastOutput = new float[width];
            }
            MemorySegment.copy(nativeOutput, ValueLayout.JAVA_FLOAT, 0, lastOutput, 0, width);
            nativeCurrent = false;
        }
        return lastOutput;
    }

    /**
     * The last output row as a read-only buffer, without copying it to the heap when it is in native memory (the
     * sampler chain reads it there); null when there is none. Valid until the sequence's next evaluation.
     */
    public FloatBuffer lastOutputView() {
        if (!hasOutput) {
            return null;
        }
        return nativeCurrent ? nativeView.asReadOnlyBuffer() : FloatBuffer.wrap(lastOutput).asReadOnlyBuffer();
    }

    /**
     * As {@link #lastOutputView()} but writable, for ggml4j's own readers (the generator): a plain direct buffer
     * reads faster than a read-only one. Never hand it to user code.
     */
    public FloatBuffer lastOutputForSampling() {
        if (!hasOutput) {
            return null;
        }
        return nativeCurrent ? nativeView.duplicate() : FloatBuffer.wrap(lastOutput);
    }

    /**
     * The greedy pick over the last output when it is in native memory: the first index of its largest logit,
     * read there by libggml4j's vector loop (2.6 us for 32k logits, where a copy and a Java loop under the
     * client compiler take 50); -1 when the last output is on the heap, when there is none, or when a logit is
     * NaN or infinite (the caller's own loop then reads the row and names the logit in its error).
     */
    public int greedyPick() {
        if (!hasOutput || !nativeCurrent) {
            return -1;
        }
        if (pick == null) {
            pick = MemorySegment.ofBuffer(ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder()));
        }
        long width = nativeOutput.byteSize() / 4;
        NativeStatus.check(GgmlLib.ggml4j_argmax_f32(nativeOutput, width, pick, pick.asSlice(8)), "greedy pick");
        return pick.get(ValueLayout.JAVA_LONG, 8) >= 0 ? -1 : (int) pick.get(ValueLayout.JAVA_LONG, 0);
    }

    /** The native last-output buffer of {@code width} floats, for the engine to write the next output into. */
    MemorySegment outputTarget(int width) {
        if (nativeOutput == null || nativeOutput.byteSize() != 4L * width) {
            // a direct ByteBuffer rather than an arena segment: its float view is the JDK's fastest native buffer
            ByteBuffer bytes = ByteBuffer.allocateDirect(4 * width).order(ByteOrder.nativeOrder());
            nativeOutput = MemorySegment.ofBuffer(bytes);
            nativeView = bytes.asFloatBuffer();
        }
        return nativeOutput;
    }

    /** The buffer from {@link #outputTarget} now holds the last output. */
    void outputStored() {
        nativeCurrent = true;
        hasOutput = true;
    }

    /** Sets the last output from the heap (a restored state, a row the caller also keeps). */
    void setLastOutput(float[] row) {
        lastOutput = row;
        nativeCurrent = false;
        hasOutput = row != null;
    }

    /** A heap array of {@code width} to write the last output into (then current). */
    float[] lastOutputBuffer(int width) {
        if (lastOutput == null || lastOutput.length != width) {
            lastOutput = new float[width];
        }
        nativeCurrent = false;
        hasOutput = true;
        return lastOutput;
    }

    /** Marks that this sequence's caller is in a generation loop and will submit again right away. */
    public void generating(boolean value) {
        generating = value;
        if (!value) {
            expectMore = false;
        }
    }

    int token(int pos) {
        return history[pos];
    }

    void append(int[] tokens, int from, int count) {
        if (size + count > history.length) {
            history = Arrays.copyOf(history, Math.max(size + count, history.length * 2));
        }
        System.arraycopy(tokens, from, history, size, count);
        size += count;
    }

    void truncate(int position) {
        size = Math.min(size, position);
    }

    void copyFrom(Sequence other) {
        history = Arrays.copyOf(other.history, Math.max(64, other.size));
        size = other.size;
        float[] row = other.lastOutput();
        setLastOutput(row == null ? null : row.clone());
    }

    /** Length of the common prefix of this history and {@code head} followed by {@code tail}. */
    int commonPrefix(Sequence head, int[] tail) {
        int n = 0;
        int max = Math.min(size, head.size + tail.length);
        while (n < max) {
            int t = n < head.size ? head.history[n] : tail[n - head.size];
            if (history[n] != t) {
                break;
            }
            n++;
        }
        return n;
    }
}
