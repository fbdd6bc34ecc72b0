package io.github.ggml4j.tokenizer;

import java.util.Arrays;

/** A growable {@code int} array; the tokenizers' token and offset buffers, free of boxing. */
final class IntList {

    private int[] data;
    private int size;

    IntList() {
        this(16);
    }

    IntList(int capacity) {
        data = new int[Math.max(4, capacity)];
    }

    void add(int value) {
        if (size == data.length) {
            data = Arrays.copyOf(data, newCapacity(size + 1));
        }
        data[size++] = value;
    }

    int get(int i) {
        if (i >= size) {
            throw new IndexOutOfBoundsException(i);
        }
        return data[i];
    }

    int size() {
        return size;
    }

    /** Drops everything from index {@code newSize} on. */
    void truncate(int newSize) {
        if (newSize < 0 || newSize > size) {
            throw new IndexOutOfBoundsException(newSize);
        }
        size = newSize;
    }

    int[] toArray() {
        return Arrays.copyOf(data, size);
    }

    private int newCapacity(int needed) {
        long grown = (long) data.length * 2;
        if (grown > Integer.MAX_VALUE - 8) {
            grown = Integer.MAX_VALUE - 8;
        }
        if (grown < needed) {
            throw new OutOfMemoryError("IntList capacity exceeded");
        }
        return (int) grown;
    }
}
