package io.github.ggml4j.tokenizer;

import java.util.Arrays;

/**
 * Interns strings to dense ids, and finds them by a {@code char[]} range without building a {@code String}:
 * the merge loops probe it once per candidate pair. Open addressing with linear probing; each slot holds the
 * hash next to the id, so a probe touches the string only when the hashes agree.
 */
final class TokenTable {

    private String[] strings;
    private int count;
    private long[] slots; // (hash << 32) | (id + 1); 0 = empty
    private int mask;

    TokenTable(int expected) {
        strings = new String[Math.max(16, expected)];
        int cap = Integer.highestOneBit(Math.max(16, expected) * 2 - 1) << 1;
        slots = new long[cap];
        mask = cap - 1;
    }

    String string(int id) {
        return strings[id];
    }

    /** Adds {@code s} unless present; returns its id either way. */
    int intern(String s) {
        int h = mix(s.hashCode());
        int i = h & mask;
        for (long e; (e = slots[i]) != 0; i = (i + 1) & mask) {
            if ((int) (e >>> 32) == h && strings[(int) e - 1].equals(s)) {
                return (int) e - 1;
            }
        }
        if (count == strings.length) {
            strings = Arrays.copyOf(strings, count * 2);
        }
        int id = count++;
        strings[id] = s;
        if (count * 2 > slots.length) {
            rehash(slots.length * 2);
        } else {
            slots[i] = ((long) h << 32) | (id + 1);
        }
        return id;
    }

    /** The id of {@code s}, or -1. */
    int get(String s) {
        int h = mix(s.hashCode());
        for (int i = h & mask; ; i = (i + 1) & mask) {
            long e = slots[i];
            if (e == 0) {
                return -1;
            }
            if ((int) (e >>> 32) == h && strings[(int) e - 1].equals(s)) {
                return (int) e - 1;
            }
        }
    }

    /** The id of the string in {@code buf[off, off + len)}, or -1. */
    int get(char[] buf, int off, int len) {
        int raw = 0;
        for (int i = off, end = off + len; i < end; i++) {
            raw = 31 * raw + buf[i]; // String.hashCode's function, so both lookups agree
        }
        int h = mix(raw);
        for (int i = h & mask; ; i = (i + 1) & mask) {
            long e = slots[i];
            if (e == 0) {
                return -1;
            }
            if ((int) (e >>> 32) == h && equals(strings[(int) e - 1], buf, off, len)) {
                return (int) e - 1;
            }
        }
    }

    private static boolean equals(String s, char[] buf, int off, int len) {
        if (s.length() != len) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            if (s.charAt(i) != buf[off + i]) {
                return false;
            }
        }
        return true;
    }

    private void rehash(int capacity) {
        slots = new long[capacity];
        mask = capacity - 1;
        for (int id = 0; id < count; id++) {
            int h = mix(strings[id].hashCode());
            int i = h & mask;
            while (slots[i] != 0) {
                i = (i + 1) & mask;
            }
            slots[i] = ((long) h << 32) | (id + 1);
        }
    }

    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        return h ^ (h >>> 16);
    }
}
