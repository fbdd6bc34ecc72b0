package io.github.ggml4j.runtime;

import io.github.ggml4j.memory.Memory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Closed sessions' contexts kept in host memory once their cells are given up (llama-server's prompt cache,
 * {@code --cache-ram}): the tokens and the memory's state of each, oldest first out past a byte limit. A new
 * sequence whose prompt starts as one of them gets that prefix's rows copied back instead of computed, and the
 * entry leaves the cache (the sequence holds it now, and is saved again when it goes).
 *
 * <p>Engine thread only, as {@link Sequences}. The rows are copies of those computed, in the same cell order, so
 * what follows is the same as if the prefix had been computed again.
 */
final class PromptCache {

    /** A prefix restored must be at least this share of the entry, as in llama-server: no large entry trashed for a few tokens. */
    static final double MIN_KEEP = 0.25;

    private record Entry(int[] tokens, byte[] state) {
        long bytes() {
            return state.length + 4L * tokens.length;
        }
    }

    private final Memory memory;
    private final long limit;
    private final List<Entry> entries = new ArrayList<>();
    private long bytes;
    private long hits;

    PromptCache(Memory memory, long limitBytes) {
        if (limitBytes <= 0) {
            throw new IllegalArgumentException("a prompt cache needs a positive size, got " + limitBytes);
        }
        this.memory = memory;
        this.limit = limitBytes;
    }

    /**
     * Keeps a sequence's context before its cells are freed; nothing when an entry already holds all of it.
     * Entries it holds whole are dropped, then the oldest until it fits.
     */
    void save(Sequence seq) {
        int[] tokens = seq.tokens();
        if (tokens.length == 0) {
            return;
        }
        for (Entry e : entries) {
            if (common(e.tokens, tokens) == tokens.length) {
                return;
            }
        }
        // the rows' size is known before writing them: one larger than the whole cache (or than an array can
        // hold) is not written at all, so a long context of a large model never fills the heap on its way out
        long estimate = 4096 + (long) tokens.length * (memory.nativeBytes() / Math.max(1, memory.capacity()) + 8);
        if (estimate > limit || estimate > Integer.MAX_VALUE - 64) {
            return;
        }
        byte[] state;
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) estimate);
            DataOutputStream data = new DataOutputStream(out);
            memory.writeState(seq.id, data);
            data.flush();
            state = out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Entry added = new Entry(tokens, state);
        if (added.bytes() > limit) {
            return;
        }
        for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (common(e.tokens, tokens) == e.tokens.length) {
                it.remove();
                bytes -= e.bytes();
            }
        }
        while (!entries.isEmpty() && bytes + added.bytes() > limit) {
            bytes -= entries.remove(0).bytes();
        }
        entries.add(added);
        bytes += added.bytes();
    }

    /**
     * Restores into {@code seq} (empty) the longest prefix of {@code prompt} an entry holds, when longer than
     * {@code atLeast} and at most all but the prompt's last token; returns its length, or 0 with {@code seq}
     * left empty (no entry, or no room for the rows).
     */
    int restore(Sequence seq, int[] prompt, int atLeast) {
        Entry best = null;
        int bestLength = atLeast;
        int max = prompt.length - 1;
        for (Entry e : entries) {
            int l = Math.min(common(e.tokens, prompt), max);
            if (l > bestLength && l >= MIN_KEEP * e.tokens.length) {
                best = e;
                bestLength = l;
            }
        }
        if (best == null) {
            return 0;
        }
        try {
            memory.readState(seq.id, new DataInputStream(new ByteArrayInputStream(best.state)));
        } catch (io.github.ggml4j.ContextOverflowException e) {
            return 0; // no stream with room for all its rows: the prompt is computed instead
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        memory.removeRange(seq.id, bestLength, -1);
        seq.append(best.tokens, 0, bestLength);
        entries.remove(best);
        bytes -= best.bytes();
        hits++;
        return bestLength;
    }

    /** The length of the common prefix of {@code a} and {@code b}. */
    private static int common(int[] a, int[] b) {
        int i = Arrays.mismatch(a, b);
        return i < 0 ? a.length : i;
    }

    int entries() {
        return entries.size();
    }

    long bytes() {
        return bytes;
    }

    long hits() {
        return hits;
    }
}
