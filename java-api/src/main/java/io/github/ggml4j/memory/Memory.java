package io.github.ggml4j.memory;

import io.github.ggml4j.nativ.GgmlContext;
import io.github.ggml4j.runtime.Batch;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * What a model remembers between decode steps, for many sequences at once. Attention layers keep a KV cache,
 * recurrent layers (RWKV) a state per sequence, encoders nothing; the engine only sees this interface. The
 * memory owns its layout: it places a batch, fills its own graph inputs from its per-cell metadata, and the
 * sequence operations are defined once here. Only the engine's thread calls it.
 */
public sealed interface Memory extends AutoCloseable
        permits KvCache, StreamedKvCache, RollingKvCache, InterleavedKvCache, RecurrentState, EncoderMemory, EncoderDecoderMemory {

    /**
     * Where a batch went: one cell per token, how many cells the graph attends over, and which of the memory's
     * graph layouts this batch needs (part of the graph-reuse key).
     */
    record Slots(int[] cells, int attended, int layout) {
    }

    /** The most tokens of one sequence a single step may hold (a rolling buffer takes at most its window). */
    default int maxTokensPerSequence() {
        return Integer.MAX_VALUE;
    }

    /**
     * Whether every sequence of a step must bring the same number of tokens, each sequence's tokens together
     * in the batch (a recurrent state runs [n_seq_tokens, n_seqs] through its WKV op); the planner then
     * batches single tokens of many sequences, or equal chunks of prompts.
     */
    default boolean equalTokensPerSequence() {
        return false;
    }

    /** Why {@link #canTruncate} refused {@code position} for {@code seq}, for the typed error. */
    default String truncateRefusal(int seq, int position) {
        return "cannot rewind to position " + position + ": the KV cache keeps only the last "
                + maxTokensPerSequence() + " positions (a rolling buffer), and those before " + nextPosition(seq)
                + " that position needs are gone";
    }

    /**
     * Whether a sequence's tokens must all come in one step (an encoder, whose tokens attend to later ones and
     * which keeps nothing between steps); the planner then takes a request whole or leaves it for a later step.
     */
    default boolean wholeSequences() {
        return false;
    }

    /** The most positions one sequence can hold: the capacity for a plain cache, unbounded for a rolling one. */
    default int maxPositions() {
        return capacity();
    }

    /** Whether {@link #removeRange}{@code (seq, position, -1)} leaves positions {@code [0, position)} usable. */
    default boolean canTruncate(int seq, int position) {
        return true;
    }

    /** The layout and attended cells of the largest graph, which the engine reserves compute buffers for. */
    default Slots worstCase(int maxTokens) {
        return new Slots(new int[0], capacity(), 0);
    }

    /** Whether sequences can share cells of a common prefix ({@link #copySequence} of a range). */
    default boolean sharesPrefixes() {
        return true;
    }

    /**
     * The engine keeps {@code seq} as a cached prompt (a closed session's context, true) or no longer (false). A
     * streamed cache puts a new sequence beside cached prompts rather than beside a live sequence.
     */
    default void markCached(int seq, boolean cached) {
    }

    /**
     * Whether a sequence that takes a cached prompt's prefix replaces that prompt (its other cells are freed), as
     * llama-server's slot reuse does: true for a {@link StreamedKvCache}, where the prompt's other cells would only
     * take room in the stream, and would put the new sequence's cells after them, where flash attention's tiles
     * fall differently from a run alone.
     */
    default boolean reuseReplacesCachedPrompt() {
        return false;
    }

    /**
     * Whether prefix reuse may let {@code dst} share the cells of {@code src}. A {@link StreamedKvCache} says no
     * when that would put {@code dst} into a stream with a live sequence (two live sequences in one stream bring
     * two tokens a step and both contexts to its cells; an idle stream's cached prompts are fair game, as
     * llama-server reuses an idle slot's cache), and when {@code dst} is in another stream already, where
     * {@link #copySequence} copies the rows instead.
     */
    default boolean canShare(int src, int dst) {
        return sharesPrefixes();
    }

    /**
     * Whether the planner should keep the distinct prompt chunk sizes of a step few: a {@link StreamedKvCache}
     * builds one attention group per distinct token count of its streams.
     */
    default boolean equalPromptChunks() {
        return false;
    }

    /** Cells in total. */
    int capacity();

    /** Cells holding at least one sequence. */
    int usedCells();

    /** Cells a batch can still be placed in (the engine sizes steps by it). */
    default int freeCells() {
        return capacity() - usedCells();
    }

    /** 1 + the largest position {@code seq} holds; 0 when it holds none. */
    int nextPosition(int seq);

    /**
     * Finds cells for every token of the batch and records them tentatively (so the batch's own tokens are
     * visible to each other in the mask); {@link #rollback} undoes this when the compute fails.
     *
     * @return the slots, or null when there is no room
     */
    Slots place(Batch batch);

    /** Forgets a tentative placement whose compute failed or was cancelled. */
    void rollback(Slots slots);

    /** The graph inputs this memory needs for a micro-batch of {@code nTokens} over {@code attended} cells. */
    GraphInputs newInputs(GgmlContext ctx, int nTokens, int attended, int layout, boolean flashAttention);

    /** Fills those inputs (cell indices and masks) for the placed batch, before compute. */
    void fillInputs(GraphInputs inputs, Batch batch, Slots slots, boolean causal);

    /**
     * Forgets the positions {@code [from, to)} of a sequence ({@code to < 0}: to the end). A memory that cannot
     * keep what is left (see {@link #canTruncate}) forgets the whole sequence; {@link #nextPosition} tells.
     */
    void removeRange(int seq, int from, int to);

    /** Lets {@code dst} see the cells of {@code src} at positions {@code [from, to)} without copying data. */
    void copySequence(int src, int dst, int from, int to);

    /** Forgets every sequence but one. */
    void keepOnly(int seq);

    /** Forgets everything. */
    void clear();

    /** Writes what {@code seq} holds (its positions and their data); a format of this memory's own. */
    void writeState(int seq, DataOutput out) throws IOException;

    /**
     * Reads a state written by {@link #writeState} into an empty sequence.
     *
     * @throws io.github.ggml4j.ContextOverflowException if there is no room for it
     * @throws io.github.ggml4j.ModelException           if the state does not fit this memory's layout
     */
    void readState(int seq, DataInput in) throws IOException;

    /** Bytes of native memory this memory holds. */
    long nativeBytes();

    /**
     * How a "memory is full" error names this memory and its capacity, e.g. "KV cache ... cells"; the engine
     * words the error with it and never asks which memory it has.
     */
    default String fullMessage(int live) {
        return "the model's KV cache is full: all " + capacity() + " cells are in use by " + live + " sessions";
    }

    /** One line for the engine's log: what this memory keeps, for which layers, and its bytes per sequence. */
    default String summary() {
        return getClass().getSimpleName() + ", " + nativeBytes() + " bytes";
    }

    @Override
    void close();
}
