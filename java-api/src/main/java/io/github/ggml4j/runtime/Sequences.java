package io.github.ggml4j.runtime;

import io.github.ggml4j.memory.Memory;

import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * The engine's sequences: their ids in memory, the closed sessions' contexts kept as cached prompts (least
 * recently used first out when cells are needed), and prefix reuse across all of them. Engine thread only, but
 * for {@link #register}, which any thread may call: the ids and the id map are guarded by the map's monitor.
 */
final class Sequences {

    private final Memory memory;
    private final int maxCached;
    private final Runnable roomFreed;
    private final Map<Integer, Sequence> byId = new HashMap<>();
    private final BitSet ids = new BitSet();
    private final ArrayDeque<Sequence> cached = new ArrayDeque<>();
    private final PromptCache promptCache;
    private long reusedTokens;

    Sequences(Memory memory, int maxCached, Runnable roomFreed) {
        this(memory, maxCached, 0, roomFreed);
    }

    /** With a prompt cache of {@code promptCacheBytes} in host memory (0: none), for a memory that shares prefixes. */
    Sequences(Memory memory, int maxCached, long promptCacheBytes, Runnable roomFreed) {
        this.memory = memory;
        this.maxCached = maxCached;
        this.roomFreed = roomFreed;
        this.promptCache = promptCacheBytes > 0 && memory.sharesPrefixes()
                ? new PromptCache(memory, promptCacheBytes) : null;
    }

    /** The host-memory prompt cache, or null. */
    PromptCache promptCache() {
        return promptCache;
    }

    Sequence register(int limit, boolean waitWhenFull) {
        synchronized (byId) {
            int id = ids.nextClearBit(0);
            ids.set(id);
            Sequence s = new Sequence(id, limit, waitWhenFull);
            byId.put(id, s);
            return s;
        }
    }

    /**
     * A closed session's sequence: kept as a cached prompt when it holds something another sequence could
     * reuse, else freed (a memory that shares no prefixes, such as a recurrent state, frees it at once).
     */
    void release(Sequence seq) {
        seq.released = true;
        if (maxCached > 0 && seq.position() > 0 && memory.sharesPrefixes()) {
            seq.cached = true;
            memory.markCached(seq.id, true);
            seq.setLastOutput(null);
            cached.addLast(seq);
            while (cached.size() > maxCached) {
                retire(cached.removeFirst());
            }
        } else {
            retire(seq);
        }
    }

    /** Frees a closed session's sequence, kept in the prompt cache first if there is one. */
    private void retire(Sequence s) {
        if (promptCache != null && s.released && s.position() > 0) {
            promptCache.save(s);
        }
        evict(s);
    }

    /** Frees a sequence's cells and id now. */
    void evict(Sequence s) {
        memory.removeRange(s.id, 0, -1);
        if (s.cached) {
            memory.markCached(s.id, false);
        }
        synchronized (byId) {
            byId.remove(s.id);
            ids.clear(s.id);
        }
        cached.remove(s);
        s.cached = false;
        roomFreed.run();
    }

    /** Frees cached prompts, least recently used first, until {@code wanted} cells are free; returns the free cells. */
    int makeRoom(int wanted) {
        while (memory.freeCells() < wanted && !cached.isEmpty()) {
            retire(cached.peekFirst());
        }
        return memory.freeCells();
    }

    /** Frees the least recently used cached prompt; false when there is none. */
    boolean evictOne() {
        if (cached.isEmpty()) {
            return false;
        }
        retire(cached.peekFirst());
        return true;
    }

    int live() {
        synchronized (byId) {
            return byId.size() - cached.size();
        }
    }

    int cached() {
        return cached.size();
    }

    long reusedTokens() {
        return reusedTokens;
    }

    /**
     * When the tokens a request appends continue a prefix another sequence (or a cached prompt) already holds,
     * its cells are shared instead of computed. At least the last token is always computed, for its output.
     */
    void reusePrefix(Request r) {
        Sequence seq = r.seq;
        seq.lastReused = 0;
        if (r.allRows || r.tokens.length < 2 || !memory.sharesPrefixes()) {
            return;
        }
        int have = seq.position();
        Sequence donor = null;
        int best = have;
        java.util.List<Sequence> all;
        synchronized (byId) {
            all = new java.util.ArrayList<>(byId.values());
        }
        for (Sequence other : all) {
            // where cells cannot be shared, an empty sequence computes its own; one with cells gets rows copied
            if (other == seq || (have == 0 && !memory.canShare(other.id, seq.id))) {
                continue;
            }
            int l = other.commonPrefix(seq, r.tokens);
            if (l > best) {
                best = l;
                donor = other;
            }
        }
        int reuse = Math.min(best, have + r.tokens.length - 1) - have;
        if (have == 0 && promptCache != null) {
            // a context given up earlier may hold more of the prompt than any sequence in memory
            int restored = promptCache.restore(seq, r.tokens, Math.max(0, reuse));
            if (restored > 0) {
                reused(r, restored);
                return;
            }
        }
        if (donor == null || reuse <= 0) {
            return;
        }
        boolean shared = memory.canShare(donor.id, seq.id);
        try {
            memory.copySequence(donor.id, seq.id, have, have + reuse); // rows are copied where cells cannot be shared
        } catch (io.github.ggml4j.ContextOverflowException e) {
            return; // no room for a copy in the sequence's stream: the tokens are computed instead
        }
        seq.append(r.tokens, 0, reuse);
        reused(r, reuse);
        if (donor.cached && memory.reuseReplacesCachedPrompt() && shared) {
            retire(donor); // the shared prefix stays, now the new sequence's alone
        } else if (donor.cached) {
            cached.remove(donor);
            cached.addLast(donor);
        }
    }

    /** The first {@code n} tokens of {@code r} are in its sequence without being computed. */
    private void reused(Request r, int n) {
        r.next = n;
        r.seq.lastReused = n;
        reusedTokens += n;
    }
}
