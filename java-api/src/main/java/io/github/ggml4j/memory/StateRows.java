package io.github.ggml4j.memory;

import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.nativ.NativeStatus;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Copies whole rows of a state tensor between rows, to a stream and back (for {@link RecurrentState}). */
final class StateRows {

    private StateRows() {
    }

    static void copy(Arena tmp, MemorySegment t, long rowBytes, int from, int to) {
        MemorySegment host = tmp.allocate(rowBytes, 64);
        NativeStatus.check(GgmlLib.ggml4j_tensor_get(t, host, from * rowBytes, rowBytes), "reading the recurrent state");
        NativeStatus.check(GgmlLib.ggml4j_tensor_set(t, host, to * rowBytes, rowBytes), "writing the recurrent state");
    }

    static void write(Arena tmp, DataOutput out, MemorySegment t, long rowBytes, int row)
            throws IOException {
        MemorySegment host = tmp.allocate(rowBytes, 64);
        NativeStatus.check(GgmlLib.ggml4j_tensor_get(t, host, row * rowBytes, rowBytes), "reading the recurrent state");
        out.write(host.toArray(ValueLayout.JAVA_BYTE));
    }

    static void read(Arena tmp, DataInput in, MemorySegment t, long rowBytes, int row) throws IOException {
        byte[] data = new byte[Math.toIntExact(rowBytes)];
        in.readFully(data);
        MemorySegment host = tmp.allocate(rowBytes, 64);
        MemorySegment.copy(data, 0, host, ValueLayout.JAVA_BYTE, 0, data.length);
        NativeStatus.check(GgmlLib.ggml4j_tensor_set(t, host, row * rowBytes, rowBytes), "writing the recurrent state");
    }
}
