package io.github.ggml4j.train;

import io.github.ggml4j.NativeException;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufTensorInfo;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.nativ.GgmlContext;
import io.github.ggml4j.nativ.NativeStatus;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The trainable tensors (every F32 tensor of a GGUF, marked as ggml parameters) and the fixed graph inputs a
 * training step needs (token ids, positions, causal mask), all in one CPU backend buffer that outlives the
 * optimizer's graphs.
 */
final class TrainWeights implements AutoCloseable {

    private final GgmlContext ctx;
    private final Map<String, MemorySegment> params = new LinkedHashMap<>();
    private final MemorySegment tokens;
    private final MemorySegment positions;
    private final MemorySegment mask;
    private final MemorySegment buffer;
    private final int seqLen;
    private final int batch;

    /** Reads every tensor of {@code gguf} (all must be F32) and sizes the inputs for batches of {@code batch}. */
    TrainWeights(GgufFile gguf, int seqLen, int batch) {
        this.seqLen = seqLen;
        this.batch = batch;
        List<GgufTensorInfo> infos = gguf.tensors();
        this.ctx = GgmlContext.forTensors(infos.size() + 3);
        MemorySegment buf = MemorySegment.NULL;
        try {
            for (GgufTensorInfo t : infos) {
                if (t.type() != GgmlType.F32) {
                    throw new IllegalArgumentException("training needs F32 tensors, " + t.name() + " is " + t.type());
                }
                MemorySegment p = ctx.newTensor(GgmlType.F32.id(), t.shape());
                GgmlContext.setName(p, t.name());
                GgmlLib.ggml_set_param(p);
                params.put(t.name(), p);
            }
            tokens = ctx.newTensor(GgmlType.I32.id(), (long) seqLen * batch);
            positions = ctx.newTensor(GgmlType.I32.id(), seqLen);
            mask = ctx.newTensor(GgmlType.F32.id(), seqLen, seqLen);
            buf = GgmlLib.ggml_backend_alloc_ctx_tensors_from_buft(ctx.handle(), GgmlLib.ggml_backend_cpu_buffer_type());
            if (buf.equals(MemorySegment.NULL)) {
                throw new NativeException("cannot allocate the training weights");
            }
            this.buffer = buf;
            for (GgufTensorInfo t : infos) {
                ByteBuffer bytes = gguf.tensorBytes(t.name());
                set(params.get(t.name()), MemorySegment.ofBuffer(bytes), "loading " + t.name());
            }
            writeFixedInputs();
        } catch (RuntimeException e) {
            if (!buf.equals(MemorySegment.NULL)) {
                GgmlLib.ggml_backend_buffer_free(buf);
            }
            ctx.close();
            throw e;
        }
    }

    private void writeFixedInputs() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pos = a.allocate(4L * seqLen);
            MemorySegment m = a.allocate(4L * seqLen * seqLen);
            for (int i = 0; i < seqLen; i++) {
                pos.setAtIndex(ValueLayout.JAVA_INT, i, i);
                for (int j = 0; j < seqLen; j++) { // row i = query i; key j is visible when j <= i
                    m.setAtIndex(ValueLayout.JAVA_FLOAT, (long) i * seqLen + j, j <= i ? 0f : Float.NEGATIVE_INFINITY);
                }
            }
            set(positions, pos, "writing positions");
            set(mask, m, "writing the causal mask");
        }
    }

    static void set(MemorySegment tensor, MemorySegment host, String what) {
        if (!host.isNative()) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment copy = a.allocate(host.byteSize(), 64);
                copy.copyFrom(host);
                set(tensor, copy, what);
                return;
            }
        }
        NativeStatus.check(GgmlLib.ggml4j_tensor_set(tensor, host, 0, host.byteSize()), what);
    }

    /** The parameter called {@code name}. */
    MemorySegment param(String name) {
        MemorySegment p = params.get(name);
        if (p == null) {
            throw new IllegalArgumentException("the model has no tensor " + name);
        }
        return p;
    }

    List<String> names() {
        return new ArrayList<>(params.keySet());
    }

    /** The current values of {@code name}. */
    float[] read(String name) {
        MemorySegment p = param(name);
        long n = GgmlLib.ggml_nelements(p);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(4L * n);
            NativeStatus.check(GgmlLib.ggml4j_tensor_get(p, host, 0, 4L * n), "reading " + name);
            return host.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    /** Overwrites {@code name} with {@code values}. */
    void write(String name, float[] values) {
        MemorySegment p = param(name);
        if (values.length != GgmlLib.ggml_nelements(p)) {
            throw new IllegalArgumentException(name + " has " + GgmlLib.ggml_nelements(p) + " values, not "
                    + values.length);
        }
        try (Arena a = Arena.ofConfined()) {
            set(p, a.allocateFrom(ValueLayout.JAVA_FLOAT, values), "writing " + name);
        }
    }

    MemorySegment tokens() {
        return tokens;
    }

    MemorySegment positions() {
        return positions;
    }

    MemorySegment mask() {
        return mask;
    }

    int seqLen() {
        return seqLen;
    }

    int batch() {
        return batch;
    }

    @Override
    public void close() {
        GgmlLib.ggml_backend_buffer_free(buffer);
        ctx.close();
    }
}
