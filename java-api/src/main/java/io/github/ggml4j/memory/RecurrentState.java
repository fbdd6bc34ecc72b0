package io.github.ggml4j.memory;

import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.ModelException;
import io.github.ggml4j.NativeException;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.arch.RwkvParams;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.nativ.GgmlContext;
import io.github.ggml4j.nativ.NativeStatus;
import io.github.ggml4j.runtime.Batch;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The memory of a recurrent model (RWKV-6, RWKV-7): per sequence and layer, one token-shift row and one WKV
 * state row, of a fixed size however long the sequence grows. A step runs each sequence's tokens through the
 * WKV op from the state after its last position; a state cannot be rewound.
 *
 * <p>Layout: per layer a token-shift tensor [2 n_embd, rows] and a WKV tensor [head_size n_embd, rows], F32.
 * Row 0 stays zero: the state of a sequence that holds no position. Each sequence slot owns two more rows and
 * a step reads one and writes the other, flipping only when the step is placed, so a failed or cancelled
 * compute ({@link #rollback}) leaves the state the sequence had before, never a half-written one.
 *
 * <p>Sequence operations: a fork ({@link #copySequence} of a whole sequence) copies the source's rows; a
 * truncation to anything but 0 or the end is refused ({@link #canTruncate} false, and the engine throws
 * {@link ContextOverflowException} with {@link #truncateRefusal}); to return to an earlier point, fork or save
 * the session there. Up to {@link #MAX_SEQUENCES} sequences (live sessions, forks and cached prompts) at once,
 * fewer when the context size is smaller.
 *
 * {@snippet :
 * try (Model m = Model.load(Path.of("rwkv7.gguf"));     // the recipe's newMemory makes a RecurrentState
 *      Session s = m.newSession()) {
 *     s.evaluate(m.tokenizer().encode("Hello", true, false));
 *     byte[] state = s.saveState();                     // tokens, last logits and the state rows
 * }
 * }
 */
public final class RecurrentState implements Memory, StateStore {

    /** The most sequences one recurrent state holds at once. */
    public static final int MAX_SEQUENCES = 16;

    private static final int STATE_TAG = 0x52575331; // "RWS1"

    /**
     * Rows read and written per batch sequence: whole rows for the token shift, and for the WKV state each
     * sequence's row as {@link #wkvPieces} consecutive rows, so ggml's get_rows/set_rows (which split their
     * work by row) copy it with every thread rather than one.
     */
    record Inputs(MemorySegment readIdx, MemorySegment writeIdx, MemorySegment wkvReadIdx, MemorySegment wkvWriteIdx,
                  int nSeqs) implements GraphInputs {
    }

    /** A sequence's slot, which of its two rows holds its state, and how many positions it has seen. */
    private static final class Entry {
        final int slot;
        int cur;
        int next;

        Entry(int slot) {
            this.slot = slot;
        }
    }

    private final HParams hp;
    private final int slots;
    private final long shiftFloats;
    private final long wkvFloats;
    private final int wkvPieces;
    private final GgmlContext context;
    private final List<MemorySegment> buffers = new ArrayList<>();
    private final MemorySegment[] shift;
    private final MemorySegment[] wkv;
    private final boolean[] slotUsed;
    private final Map<Integer, Entry> entries = new HashMap<>();
    private long bytes;

    // the one placement not yet computed: rows read and written per batch sequence, what to undo
    private int[] lastRead = new int[0];
    private int[] lastWrite = new int[0];
    private final List<int[]> undo = new ArrayList<>();  // {seq, cur, next, created}

    private final Arena arena = Arena.ofShared();
    private final MemorySegment readHost;
    private final MemorySegment writeHost;

    public RecurrentState(MemorySpec spec) {
        this.hp = spec.hparams();
        RwkvParams rp = hp.rwkv();
        if (rp == null) {
            throw new ModelException(hp.arch() + ": a recurrent state needs RWKV hyper-parameters");
        }
        this.slots = Math.max(1, Math.min(spec.cells(), MAX_SEQUENCES));
        this.shiftFloats = rp.shiftFloats(hp.nEmbd());
        this.wkvFloats = rp.wkvFloats(hp.nEmbd());
        this.wkvPieces = pieces(wkvFloats);
        this.slotUsed = new boolean[slots];
        this.shift = new MemorySegment[hp.nLayer()];
        this.wkv = new MemorySegment[hp.nLayer()];
        this.context = GgmlContext.forTensors(2L * hp.nLayer() + 8);
        try {
            int f32 = GgmlLib.GGML_TYPE_F32();
            for (int il = 0; il < hp.nLayer(); il++) {
                shift[il] = context.newTensor(f32, shiftFloats, 1 + 2 * slots);
                wkv[il] = context.newTensor(f32, wkvFloats, 1 + 2 * slots);
                GgmlContext.setName(shift[il], "cache_r_l" + il);
                GgmlContext.setName(wkv[il], "cache_s_l" + il);
            }
            allocate(spec.layerBufts());
            readHost = arena.allocate(4L * slots * (1 + wkvPieces), 64);
            writeHost = arena.allocate(8L * slots * (1 + wkvPieces), 64);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** How many rows of at least 1024 floats a WKV state row splits into evenly (at most 16). */
    static int pieces(long floats) {
        for (int p = 16; p > 1; p /= 2) {
            if (floats % p == 0 && floats / p >= 1024) {
                return p;
            }
        }
        return 1;
    }

    /** Bytes of state for {@code slots} sequences (plus the zero row), for the up-front memory check. */
    public static long bytes(HParams hp, int cells) {
        int slots = Math.max(1, Math.min(cells, MAX_SEQUENCES));
        RwkvParams rp = hp.rwkv();
        return 4L * hp.nLayer() * (rp.shiftFloats(hp.nEmbd()) + rp.wkvFloats(hp.nEmbd())) * (1 + 2L * slots);
    }

    /** Bytes of state one sequence holds, whatever its length. */
    public long bytesPerSequence() {
        return 4L * hp.nLayer() * (shiftFloats + wkvFloats);
    }

    @Override
    public String summary() {
        return "recurrent state, " + slots + " sequence slots, " + bytesPerSequence() + " bytes per sequence whatever "
                + "its length";
    }

    private static int row(Entry e, int half) {
        return 1 + 2 * e.slot + half;
    }

    private void allocate(MemorySegment[] layerBufts) {
        for (int il = 0; il < hp.nLayer(); il++) {
            MemorySegment buft = layerBufts[il];
            long align = GgmlLib.ggml_backend_buft_get_alignment(buft);
            long rb = (GgmlLib.ggml_backend_buft_get_alloc_size(buft, shift[il]) + align - 1) / align * align;
            long sb = (GgmlLib.ggml_backend_buft_get_alloc_size(buft, wkv[il]) + align - 1) / align * align;
            MemorySegment buf = GgmlLib.ggml_backend_buft_alloc_buffer(buft, rb + sb);
            if (buf.equals(MemorySegment.NULL)) {
                throw new NativeException("cannot allocate " + ((rb + sb) >> 20) + " MiB for the recurrent state");
            }
            buffers.add(buf);
            bytes += rb + sb;
            GgmlLib.ggml_backend_buffer_clear(buf, (byte) 0); // row 0 stays zero from here on
            MemorySegment base = GgmlLib.ggml_backend_buffer_get_base(buf);
            check(GgmlLib.ggml_backend_tensor_alloc(buf, shift[il], base));
            check(GgmlLib.ggml_backend_tensor_alloc(buf, wkv[il], MemorySegment.ofAddress(base.address() + rb)));
        }
    }

    private static void check(int st) {
        if (st != GgmlLib.GGML_STATUS_SUCCESS()) {
            throw new NativeException("cannot place a recurrent state tensor (status " + st + ")");
        }
    }

    // ---- slots ---------------------------------------------------------------------------------------------

    /** Sequence slots in total. */
    @Override
    public int capacity() {
        return slots;
    }

    @Override
    public String fullMessage(int live) {
        return "the model's recurrent state is full: all " + slots + " sequence slots are in use by " + live
                + " sessions (close one" + (slots < MAX_SEQUENCES ? ", or load the model with a context size of up to "
                + MAX_SEQUENCES + " for as many slots" : "") + ")";
    }

    @Override
    public int usedCells() {
        return entries.size();
    }

    @Override
    public int freeCells() {
        // a sequence always has room in its own rows; a new one needs a free slot (checked in place)
        return Integer.MAX_VALUE / 4;
    }

    @Override
    public boolean equalTokensPerSequence() {
        return true;
    }

    @Override
    public int maxPositions() {
        return Integer.MAX_VALUE; // the state does not grow
    }

    @Override
    public boolean sharesPrefixes() {
        return false; // a state is for one exact history
    }

    @Override
    public long nativeBytes() {
        return bytes;
    }

    @Override
    public int nextPosition(int seq) {
        Entry e = entries.get(seq);
        return e == null ? 0 : e.next;
    }

    @Override
    public boolean canTruncate(int seq, int position) {
        return position <= 0 || position >= nextPosition(seq);
    }

    @Override
    public String truncateRefusal(int seq, int position) {
        return "cannot rewind to position " + position + ": a recurrent state (" + hp.arch() + ") holds only the state "
                + "after the last of its " + nextPosition(seq) + " positions; truncate to 0 to start over, or fork or "
                + "save the session at the point to return to";
    }

    @Override
    public Slots worstCase(int maxTokens) {
        return new Slots(new int[0], 1, 0);
    }

    private Entry create(int seq) {
        for (int i = 0; i < slots; i++) {
            if (!slotUsed[i]) {
                slotUsed[i] = true;
                Entry e = new Entry(i);
                entries.put(seq, e);
                return e;
            }
        }
        return null;
    }

    private void free(int seq) {
        Entry e = entries.remove(seq);
        if (e != null) {
            slotUsed[e.slot] = false;
        }
    }

    @Override
    public Slots place(Batch batch) {
        int n = batch.size();
        // runs of one sequence each, all of one length
        Map<Integer, Integer> runs = new LinkedHashMap<>();
        int per = -1;
        for (int i = 0; i < n; ) {
            int seq = batch.seq(i);
            int j = i;
            while (j < n && batch.seq(j) == seq) {
                j++;
            }
            if (runs.containsKey(seq) || (per >= 0 && j - i != per)) {
                throw new IllegalStateException("a recurrent state needs every sequence of a step to bring the same "
                        + "number of tokens, together");
            }
            per = j - i;
            runs.put(seq, batch.position(i));
            i = j;
        }
        undo.clear();
        int k = runs.size();
        int[] read = new int[k];
        int[] write = new int[k];
        int[] cells = new int[n];
        int s = 0;
        for (Map.Entry<Integer, Integer> run : runs.entrySet()) {
            int seq = run.getKey();
            Entry e = entries.get(seq);
            boolean created = e == null;
            if (created) {
                e = create(seq);
                if (e == null) {
                    rollback(null);
                    return null;
                }
            }
            undo.add(new int[] {seq, e.cur, e.next, created ? 1 : 0});
            if (run.getValue() != e.next) {
                rollback(null);
                throw new IllegalStateException("sequence " + seq + " continues at position " + run.getValue()
                        + " but its recurrent state is at " + e.next);
            }
            read[s] = e.next == 0 ? 0 : row(e, e.cur);
            write[s] = row(e, 1 - e.cur);
            e.cur = 1 - e.cur;
            e.next += per;
            for (int t = 0; t < per; t++) {
                cells[s * per + t] = e.slot;
            }
            s++;
        }
        lastRead = read;
        lastWrite = write;
        return new Slots(cells, k, 0);
    }

    @Override
    public void rollback(Slots slots) {
        for (int i = undo.size() - 1; i >= 0; i--) {
            int[] u = undo.get(i);
            if (u[3] == 1) {
                free(u[0]);
            } else {
                Entry e = entries.get(u[0]);
                e.cur = u[1];
                e.next = u[2];
            }
        }
        undo.clear();
    }

    /**
     * Forgets a whole sequence ({@code from} 0, or any point it cannot rewind to); forgetting only positions it
     * does not hold yet changes nothing.
     */
    @Override
    public void removeRange(int seq, int from, int to) {
        Entry e = entries.get(seq);
        if (e == null) {
            return;
        }
        if (to >= 0 && to < e.next) {
            throw new IllegalArgumentException("a recurrent state forgets only up to the end of a sequence");
        }
        if (from < e.next) {
            free(seq);
        }
    }

    /** A fork copies the source's rows (the states diverge with the next token of either). */
    @Override
    public void copySequence(int src, int dst, int from, int to) {
        if (from > 0 || to >= 0) {
            throw new IllegalArgumentException("a recurrent state copies whole sequences only");
        }
        Entry se = entries.get(src);
        if (se == null || se.next == 0) {
            return;
        }
        free(dst);
        Entry de = create(dst);
        if (de == null) {
            throw new ContextOverflowException("no free slot for another sequence: a recurrent state holds at most "
                    + slots + " sequences", 1, 0);
        }
        try (Arena tmp = Arena.ofConfined()) {
            for (int il = 0; il < hp.nLayer(); il++) {
                StateRows.copy(tmp, shift[il], 4 * shiftFloats, row(se, se.cur), row(de, 0));
                StateRows.copy(tmp, wkv[il], 4 * wkvFloats, row(se, se.cur), row(de, 0));
            }
        }
        de.cur = 0;
        de.next = se.next;
    }

    @Override
    public void keepOnly(int seq) {
        for (Integer other : List.copyOf(entries.keySet())) {
            if (other != seq) {
                free(other);
            }
        }
    }

    @Override
    public void clear() {
        entries.clear();
        java.util.Arrays.fill(slotUsed, false);
    }

    // ---- graph ---------------------------------------------------------------------------------------------

    @Override
    public GraphInputs newInputs(GgmlContext ctx, int nTokens, int attended, int layout, boolean flashAttention) {
        int nSeqs = Math.max(1, attended);
        if (nTokens % nSeqs != 0) {
            throw new IllegalArgumentException(nTokens + " tokens do not split evenly over " + nSeqs + " sequences");
        }
        MemorySegment readIdx = ctx.newTensor(GgmlLib.GGML_TYPE_I32(), nSeqs);
        GgmlContext.setName(readIdx, "inp_rs_read");
        GgmlLib.ggml_set_input(readIdx);
        MemorySegment writeIdx = ctx.newTensor(GgmlLib.GGML_TYPE_I64(), nSeqs);
        GgmlContext.setName(writeIdx, "inp_rs_write");
        GgmlLib.ggml_set_input(writeIdx);
        MemorySegment wkvReadIdx = ctx.newTensor(GgmlLib.GGML_TYPE_I32(), (long) nSeqs * wkvPieces);
        GgmlContext.setName(wkvReadIdx, "inp_rs_wkv_read");
        GgmlLib.ggml_set_input(wkvReadIdx);
        MemorySegment wkvWriteIdx = ctx.newTensor(GgmlLib.GGML_TYPE_I64(), (long) nSeqs * wkvPieces);
        GgmlContext.setName(wkvWriteIdx, "inp_rs_wkv_write");
        GgmlLib.ggml_set_input(wkvWriteIdx);
        return new Inputs(readIdx, writeIdx, wkvReadIdx, wkvWriteIdx, nSeqs);
    }

    @Override
    public void fillInputs(GraphInputs graphInputs, Batch batch, Slots slots, boolean causal) {
        Inputs in = (Inputs) graphInputs;
        int k = lastRead.length;
        if (k != in.nSeqs()) {
            throw new IllegalStateException("graph for " + in.nSeqs() + " sequences, batch of " + k);
        }
        int p = wkvPieces;
        for (int i = 0; i < k; i++) {
            readHost.setAtIndex(ValueLayout.JAVA_INT, i, lastRead[i]);
            writeHost.setAtIndex(ValueLayout.JAVA_LONG, i, lastWrite[i]);
            for (int j = 0; j < p; j++) {
                readHost.setAtIndex(ValueLayout.JAVA_INT, k + (long) i * p + j, lastRead[i] * p + j);
                writeHost.setAtIndex(ValueLayout.JAVA_LONG, k + (long) i * p + j, (long) lastWrite[i] * p + j);
            }
        }
        NativeStatus.check(GgmlLib.ggml4j_tensor_set(in.readIdx(), readHost, 0, 4L * k), "setting a graph input");
        NativeStatus.check(GgmlLib.ggml4j_tensor_set(in.writeIdx(), writeHost, 0, 8L * k), "setting a graph input");
        NativeStatus.check(GgmlLib.ggml4j_tensor_set(in.wkvReadIdx(), readHost.asSlice(4L * k), 0, 4L * k * p),
                "setting a graph input");
        NativeStatus.check(GgmlLib.ggml4j_tensor_set(in.wkvWriteIdx(), writeHost.asSlice(8L * k), 0, 8L * k * p),
                "setting a graph input");
    }

    @Override
    public int sequences(GraphInputs inputs) {
        return ((Inputs) inputs).nSeqs();
    }

    @Override
    public MemorySegment load(MemorySegment ctx, GraphInputs inputs, int il, Part part) {
        Inputs in = (Inputs) inputs;
        if (part == Part.SHIFT) {
            return GgmlLib.ggml_get_rows(ctx, shift[il], in.readIdx());
        }
        MemorySegment rows = GgmlLib.ggml_get_rows(ctx, pieceView(ctx, il), in.wkvReadIdx());
        return GgmlLib.ggml_reshape_2d(ctx, rows, wkvFloats, in.nSeqs());
    }

    @Override
    public MemorySegment store(MemorySegment ctx, GraphInputs inputs, int il, Part part, MemorySegment value) {
        Inputs in = (Inputs) inputs;
        if (part == Part.SHIFT) {
            return GgmlLib.ggml_set_rows(ctx, shift[il], value, in.writeIdx());
        }
        MemorySegment pieces = GgmlLib.ggml_reshape_2d(ctx, value, wkvFloats / wkvPieces, (long) in.nSeqs() * wkvPieces);
        return GgmlLib.ggml_set_rows(ctx, pieceView(ctx, il), pieces, in.wkvWriteIdx());
    }

    /** Layer {@code il}'s WKV rows, each as {@link #wkvPieces} rows. */
    private MemorySegment pieceView(MemorySegment ctx, int il) {
        return GgmlLib.ggml_reshape_2d(ctx, wkv[il], wkvFloats / wkvPieces, (1 + 2L * slots) * wkvPieces);
    }

    // ---- state ---------------------------------------------------------------------------------------------

    /** Tag, layer count and row widths, whether the sequence holds anything, its position, then the rows. */
    @Override
    public void writeState(int seq, DataOutput out) throws IOException {
        out.writeInt(STATE_TAG);
        out.writeInt(hp.nLayer());
        out.writeLong(shiftFloats);
        out.writeLong(wkvFloats);
        Entry e = entries.get(seq);
        out.writeBoolean(e != null && e.next > 0);
        if (e == null || e.next == 0) {
            return;
        }
        out.writeInt(e.next);
        try (Arena tmp = Arena.ofConfined()) {
            for (int il = 0; il < hp.nLayer(); il++) {
                StateRows.write(tmp, out, shift[il], 4 * shiftFloats, row(e, e.cur));
                StateRows.write(tmp, out, wkv[il], 4 * wkvFloats, row(e, e.cur));
            }
        }
    }

    @Override
    public void readState(int seq, DataInput in) throws IOException {
        if (in.readInt() != STATE_TAG) {
            throw new ModelException("the state was not saved from a recurrent state");
        }
        int nLayer = in.readInt();
        long r = in.readLong();
        long s = in.readLong();
        if (nLayer != hp.nLayer() || r != shiftFloats || s != wkvFloats) {
            throw new ModelException("the state's recurrent rows are " + nLayer + " layers of " + r + " + " + s
                    + " floats; this model's " + hp.nLayer() + " of " + shiftFloats + " + " + wkvFloats);
        }
        if (!in.readBoolean()) {
            return;
        }
        int next = in.readInt();
        if (next <= 0) {
            throw new ModelException("the state's position " + next + " is damaged");
        }
        free(seq);
        Entry e = create(seq);
        if (e == null) {
            throw new ContextOverflowException("no free slot for the restored sequence: a recurrent state holds at "
                    + "most " + slots + " sequences", 1, 0);
        }
        try (Arena tmp = Arena.ofConfined()) {
            for (int il = 0; il < nLayer; il++) {
                StateRows.read(tmp, in, shift[il], 4 * shiftFloats, row(e, 0));
                StateRows.read(tmp, in, wkv[il], 4 * wkvFloats, row(e, 0));
            }
        } catch (IOException | RuntimeException ex) {
            free(seq);
            throw ex;
        }
        e.cur = 0;
        e.next = next;
    }

    @Override
    public void close() {
        for (MemorySegment b : buffers) {
            GgmlLib.ggml_backend_buffer_free(b);
        }
        buffers.clear();
        context.close();
        arena.close();
    }
}
