package io.github.ggml4j.memory;

import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

/**
 * A memory that attention layers read keys and values from (the unified KV cache today; a rolling buffer for
 * sliding-window attention later). The graph toolkit's attention goes through this and nothing else.
 */
public interface KvStore {

    /**
     * The keys, values and mask attention reads for layer {@code il}.
     *
     * @param k    [head_dim, n_head_kv, n_kv]
     * @param v    [head_dim_v, n_head_kv, n_kv], or [n_kv, n_head_kv, head_dim_v] when {@code transposed}
     * @param mask [n_kv, n_tokens]
     * @param after nodes to add once attention is built (writes that must follow its reads)
     * @param groups per-stream attention instead of {@code k}, {@code v} and {@code mask} (null then), when not empty
     * @param back   I32 [n_tokens]: the row of the groups' concatenated results that is each batch token's
     */
    record Views(MemorySegment k, MemorySegment v, MemorySegment mask, boolean transposed,
                 java.util.List<MemorySegment> after, java.util.List<StreamGroup> groups, MemorySegment back) {

        public Views(MemorySegment k, MemorySegment v, MemorySegment mask, boolean transposed,
                     java.util.List<MemorySegment> after) {
            this(k, v, mask, transposed, after, java.util.List.of(), null);
        }

        public Views(MemorySegment k, MemorySegment v, MemorySegment mask, boolean transposed) {
            this(k, v, mask, transposed, java.util.List.of());
        }

        /** Attention per stream group ({@link StreamedKvCache}); the results gathered back by {@code back}. */
        public Views(boolean transposed, java.util.List<StreamGroup> groups, MemorySegment back) {
            this(null, null, null, transposed, java.util.List.of(), groups, back);
        }
    }

    /**
     * One group of a streamed cache's attention: {@code perStream} queries in each of {@code streams} streams.
     *
     * @param rows which batch token each query row is, I32 [perStream * streams] (stream-major)
     * @param k    [head_dim, n_head_kv, n_kv, streams]
     * @param v    [head_dim_v, n_head_kv, n_kv, streams], or [n_kv, n_head_kv, head_dim_v, streams] when transposed
     * @param mask [n_kv, perStream, 1, streams]
     */
    record StreamGroup(MemorySegment rows, int perStream, int streams, MemorySegment k, MemorySegment v,
                       MemorySegment mask) {
    }

    /**
     * Adds to the graph the writes of this micro-batch's K and V of layer {@code il} into the cells it was
     * placed in, and returns views of every attended cell.
     *
     * @param ctx    the graph's ggml context
     * @param expand adds a node to the graph
     * @param k      [head_dim, n_head_kv, n_tokens], already rotated
     * @param v      [head_dim_v, n_head_kv, n_tokens]
     */
    Views storeAndView(MemorySegment ctx, Consumer<MemorySegment> expand, GraphInputs inputs, int il,
                       MemorySegment k, MemorySegment v);

    /**
     * T5's relative position buckets of this graph, [n_kv, n_tokens] i32 (see {@link RelativePositions}), which
     * the memory fills with the mask from the positions it holds: bidirectional for a non-causal graph. Created on
     * the first call for a graph; the same tensor after that.
     *
     * @throws IllegalStateException if this memory has no positions to bucket
     */
    default MemorySegment positionBuckets(io.github.ggml4j.nativ.GgmlContext ctx, GraphInputs inputs, int nBuckets) {
        throw new IllegalStateException(getClass().getSimpleName() + " keeps no relative position buckets");
    }
}
