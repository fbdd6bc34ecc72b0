package io.github.ggml4j.memory;

import io.github.ggml4j.ModelException;
import io.github.ggml4j.SessionStateException;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.nativ.GgmlContext;
import io.github.ggml4j.nativ.NativeStatus;
import io.github.ggml4j.runtime.Batch;

import java.io.DataInput;
import java.io.DataOutput;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The memory of an encoder–decoder (T5): a {@link KvCache} for the decoder's self-attention, plus the
 * encoder output of each sequence, which every decoder step's cross-attention reads. A batch's graph gets the
 * states of the sequences it holds side by side (forked sequences, such as beams, share theirs, stored once),
 * padded to a multiple of {@value #PAD} rows so that the graph is reused between steps; the layout of the
 * slots is that padded length. The relative position buckets of the self-attention come from the cells'
 * positions, one direction only.
 */
public final class EncoderDecoderMemory implements Memory, KvStore, EncoderOutputs {

    /**
     * Encoder rows are padded to this multiple, so that sequences of similar lengths joining a step rarely change
     * the graph; each padding row costs every step its cross-attention K/V rows, so it stays small.
     */
    public static final int PAD = 4;

    private static final short F16_NEG_INF = (short) 0xFC00;

    /** The inputs of one graph: the cache's, the encoder states and their mask, and the buckets if asked for. */
    static final class Inputs implements GraphInputs {
        final GraphInputs self;
        final MemorySegment states;
        final MemorySegment mask;
        final int rows;
        final int nTokens;
        final int attended;
        final boolean flash;
        MemorySegment buckets;
        int nBuckets;

        Inputs(GraphInputs self, MemorySegment states, MemorySegment mask, int rows, int nTokens, int attended,
               boolean flash) {
            this.self = self;
            this.states = states;
            this.mask = mask;
            this.rows = rows;
            this.nTokens = nTokens;
            this.attended = attended;
            this.flash = flash;
        }
    }

    private final KvCache self;
    private final int nEmbd;
    private final int maxTokens;
    private final Map<Integer, float[][]> encoded = new HashMap<>();
    private Arena hostArena = Arena.ofShared();
    private MemorySegment host = hostArena.allocate(64, 64);

    public EncoderDecoderMemory(MemorySpec spec) {
        HParams hp = spec.hparams();
        this.self = new KvCache(hp, spec.cells(), spec.maxTokens(), spec.kvType().id(), spec.kvType().id(),
                spec.flashAttention(), spec.layerBufts(), 0);
        this.nEmbd = hp.nEmbd();
        this.maxTokens = spec.maxTokens();
    }

    /** Bytes {@code new EncoderDecoderMemory(spec)} allocates for its cache. */
    public static long bytes(MemorySpec spec) {
        return AttentionMemory.bytes(spec);
    }

    @Override
    public void putEncoderOutput(int seq, float[][] states) {
        for (float[] row : states) {
            if (row.length != nEmbd) {
                throw new IllegalArgumentException("an encoder state has " + row.length + " values, not " + nEmbd);
            }
        }
        if (states.length == 0) {
            throw new IllegalArgumentException("an encoder output has at least one token");
        }
        encoded.put(seq, states.clone());
    }

    // ---- placement and inputs ------------------------------------------------------------------------------

    /**
     * The distinct encoder outputs of a batch's sequences, in order, each with its first row.
     *
     * @param strict throw (while filling inputs, where the step fails with it) for a sequence without one;
     *               else skip it (while placing, which must not throw)
     */
    private IdentityHashMap<float[][], Integer> outputsOf(Batch batch, boolean strict) {
        IdentityHashMap<float[][], Integer> offsets = new IdentityHashMap<>();
        int rows = 0;
        for (int i = 0; i < batch.size(); i++) {
            float[][] s = encoded.get(batch.seq(i));
            if (s == null && !strict) {
                continue;
            }
            if (s == null) {
                throw new ModelException("an encoder-decoder model decodes only after its encoder has read the prompt");
            }
            if (!offsets.containsKey(s)) {
                offsets.put(s, rows);
                rows += s.length;
            }
        }
        return offsets;
    }

    private static int rowsOf(IdentityHashMap<float[][], Integer> offsets) {
        int rows = 0;
        for (float[][] s : offsets.keySet()) {
            rows += s.length;
        }
        return rows;
    }

    @Override
    public Slots place(Batch batch) {
        int rows = rowsOf(outputsOf(batch, false));
        Slots s = self.place(batch);
        if (s == null) {
            return null;
        }
        return new Slots(s.cells(), s.attended(), (rows + PAD - 1) / PAD * PAD);
    }

    @Override
    public void rollback(Slots slots) {
        self.rollback(slots);
    }

    @Override
    public Slots worstCase(int tokens) {
        Slots s = self.worstCase(tokens);
        return new Slots(s.cells(), s.attended(), (maxTokens + PAD - 1) / PAD * PAD);
    }

    @Override
    public GraphInputs newInputs(GgmlContext ctx, int nTokens, int attended, int layout, boolean flashAttention) {
        GraphInputs inner = self.newInputs(ctx, nTokens, attended, 0, flashAttention);
        int rows = Math.max(PAD, layout);
        MemorySegment states = ctx.newTensor(GgmlLib.GGML_TYPE_F32(), nEmbd, rows);
        GgmlContext.setName(states, "inp_cross_embd");
        GgmlLib.ggml_set_input(states);
        MemorySegment mask = ctx.newTensor(flashAttention ? GgmlLib.GGML_TYPE_F16() : GgmlLib.GGML_TYPE_F32(),
                rows, nTokens);
        GgmlContext.setName(mask, "inp_cross_kq_mask");
        GgmlLib.ggml_set_input(mask);
        return new Inputs(inner, states, mask, rows, nTokens, attended, flashAttention);
    }

    private MemorySegment host(long bytes) {
        if (host.byteSize() < bytes) {
            hostArena.close();
            hostArena = Arena.ofShared();
            host = hostArena.allocate(bytes, 64);
        }
        return host;
    }

    @Override
    public void fillInputs(GraphInputs graphInputs, Batch batch, Slots slots, boolean causal) {
        Inputs in = (Inputs) graphInputs;
        self.fillInputs(in.self, batch, slots, causal);
        IdentityHashMap<float[][], Integer> offsets = outputsOf(batch, true);
        int n = batch.size();
        MemorySegment h = host(Math.max(4L * nEmbd * in.rows, 4L * Math.max(in.rows, in.attended) * n));
        h.asSlice(0, 4L * nEmbd * in.rows).fill((byte) 0);
        for (Map.Entry<float[][], Integer> e : offsets.entrySet()) {
            float[][] s = e.getKey();
            for (int r = 0; r < s.length; r++) {
                MemorySegment.copy(s[r], 0, h, ValueLayout.JAVA_FLOAT, 4L * nEmbd * (e.getValue() + r), nEmbd);
            }
        }
        set(in.states, h, 4L * nEmbd * in.rows);
        for (int i = 0; i < n; i++) {
            float[][] s = encoded.get(batch.seq(i));
            int from = offsets.get(s);
            int to = from + s.length;
            for (int j = 0; j < in.rows; j++) {
                boolean visible = j >= from && j < to;
                if (in.flash) {
                    h.set(ValueLayout.JAVA_SHORT, 2L * (i * in.rows + j), visible ? 0 : F16_NEG_INF);
                } else {
                    h.set(ValueLayout.JAVA_FLOAT, 4L * (i * in.rows + j), visible ? 0f : Float.NEGATIVE_INFINITY);
                }
            }
        }
        set(in.mask, h, (long) in.rows * n * (in.flash ? 2 : 4));
        if (in.buckets != null) {
            for (int i = 0; i < n; i++) {
                int pos = batch.position(i);
                for (int j = 0; j < in.attended; j++) {
                    h.set(ValueLayout.JAVA_INT, 4L * (i * in.attended + j),
                            RelativePositions.bucket(self.positionOf(j), pos, in.nBuckets, !causal));
                }
            }
            set(in.buckets, h, 4L * in.attended * n);
        }
    }

    private static void set(MemorySegment tensor, MemorySegment src, long bytes) {
        NativeStatus.check(GgmlLib.ggml4j_tensor_set(tensor, src, 0, bytes), "setting a graph input");
    }

    @Override
    public Views storeAndView(MemorySegment ctx, Consumer<MemorySegment> expand, GraphInputs inputs, int il,
                              MemorySegment k, MemorySegment v) {
        return self.storeAndView(ctx, expand, ((Inputs) inputs).self, il, k, v);
    }

    @Override
    public MemorySegment positionBuckets(GgmlContext ctx, GraphInputs inputs, int nBuckets) {
        Inputs in = (Inputs) inputs;
        if (in.buckets == null) {
            in.buckets = ctx.newTensor(GgmlLib.GGML_TYPE_I32(), in.attended, in.nTokens);
            GgmlContext.setName(in.buckets, "inp_pos_bucket");
            GgmlLib.ggml_set_input(in.buckets);
            in.nBuckets = nBuckets;
        }
        return in.buckets;
    }

    @Override
    public MemorySegment crossStates(GraphInputs inputs) {
        return ((Inputs) inputs).states;
    }

    @Override
    public MemorySegment crossMask(GraphInputs inputs) {
        return ((Inputs) inputs).mask;
    }

    // ---- sequences: the cache's, and the encoder outputs with them ------------------------------------------

    @Override
    public boolean sharesPrefixes() {
        return false; // a cached decoder prefix belongs to another prompt's encoder output
    }

    @Override
    public int capacity() {
        return self.capacity();
    }

    @Override
    public int usedCells() {
        return self.usedCells();
    }

    @Override
    public int nextPosition(int seq) {
        return self.nextPosition(seq);
    }

    @Override
    public void removeRange(int seq, int from, int to) {
        self.removeRange(seq, from, to);
        if (from <= 0 && to < 0) {
            encoded.remove(seq);
        }
    }

    @Override
    public void copySequence(int src, int dst, int from, int to) {
        self.copySequence(src, dst, from, to);
        float[][] s = encoded.get(src);
        if (s != null) {
            encoded.put(dst, s);
        }
    }

    @Override
    public void keepOnly(int seq) {
        self.keepOnly(seq);
        encoded.keySet().removeIf(s -> s != seq);
    }

    @Override
    public void clear() {
        self.clear();
        encoded.clear();
    }

    @Override
    public void writeState(int seq, DataOutput out) {
        throw new SessionStateException("saving the state of an encoder-decoder session is not supported");
    }

    @Override
    public void readState(int seq, DataInput in) {
        throw new SessionStateException("restoring the state of an encoder-decoder session is not supported");
    }

    @Override
    public long nativeBytes() {
        return self.nativeBytes() + host.byteSize();
    }

    @Override
    public String summary() {
        return self.summary() + ", and each sequence's encoder output";
    }

    @Override
    public void close() {
        self.close();
        hostArena.close();
    }
}
