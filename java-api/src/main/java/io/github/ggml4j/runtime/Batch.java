package io.github.ggml4j.runtime;

/**
 * One micro-batch as the engine hands it to memory and the graph: per token its id, position, sequence and
 * whether its logits are wanted (the role of {@code llama_batch}). Reused from step to step.
 */
public final class Batch {

    private final int[] tokens;
    private final int[] positions;
    private final int[] seqs;
    private final boolean[] outputs;
    private int size;
    private int outputCount;

    public Batch(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("batch capacity must be positive, got " + capacity);
        }
        tokens = new int[capacity];
        positions = new int[capacity];
        seqs = new int[capacity];
        outputs = new boolean[capacity];
    }

    public void clear() {
        size = 0;
        outputCount = 0;
    }

    public void add(int token, int position, int seq, boolean output) {
        if (size == tokens.length) {
            throw new IllegalStateException("batch is full (" + size + " tokens)");
        }
        tokens[size] = token;
        positions[size] = position;
        seqs[size] = seq;
        outputs[size] = output;
        size++;
        if (output) {
            outputCount++;
        }
    }

    public int capacity() {
        return tokens.length;
    }

    public int size() {
        return size;
    }

    public int outputCount() {
        return outputCount;
    }

    public int token(int i) {
        return tokens[i];
    }

    public int position(int i) {
        return positions[i];
    }

    public int seq(int i) {
        return seqs[i];
    }

    public boolean output(int i) {
        return outputs[i];
    }
}
