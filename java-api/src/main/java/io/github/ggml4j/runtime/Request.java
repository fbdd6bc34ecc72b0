package io.github.ggml4j.runtime;

import io.github.ggml4j.Ggml4jException;

import java.util.concurrent.CompletableFuture;

/** Tokens a sequence asked the engine to evaluate, and how far they got. */
final class Request {

    final Sequence seq;
    final int[] tokens;
    final boolean allRows;
    final int startPosition;
    final float[][] rows;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    int next;
    int taken;
    boolean prefixChecked;
    boolean waitingForRoom;
    volatile Ggml4jException cancelReason;

    Request(Sequence seq, int[] tokens, boolean allRows) {
        this.seq = seq;
        this.tokens = tokens;
        this.allRows = allRows;
        this.startPosition = seq.position();
        this.rows = allRows ? new float[tokens.length][] : null;
    }

    int remaining() {
        return tokens.length - next;
    }

    /** Whether the token at index {@code i} of this request produces an output row. */
    boolean outputs(int i) {
        return allRows || i == tokens.length - 1;
    }
}
