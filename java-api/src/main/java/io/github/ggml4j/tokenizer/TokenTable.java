package io.github.ggml4j.tokenizer;

import java.util.Arrays;

/**
 * Interns strings to dense ids, and finds them by a {@code char[]} range without building a {@code String}:
 * the merge loops probe it once per candidate pair. Open addressing, linear probing.
 */
final class TokenTable {

    private String[] strings;
    private int[] hashes;
    private int count;
    private int[] slots; // id + 1; 0 = empty
    private int mask;

    TokenTable(int expected) {
        strings = new String[Math.max(16, expected)];
        hashes = new int[strings.length];
        int cap = Integer.highestOneBit(Math.max(16, expected) * 2 - 1) << 1;
        slots = new int[cap];
        mask = cap - 1;
    }

    int size() {
        return count;
    }

    String string(int id) {
        return strings[id];
    }

    /** Adds {@code s} unless present; returns its id either way. */
    int intern(String s) {
        int found = get(s);
        if (found >= 0) {
            return found;
        }
        if (count == strings.length) {
            strings = Arrays.copyOf(strings, count * 2);
            hashes = Arrays.copyOf(hashes, count * 2);
        }
        if ((count + 1) * 2 > slots.length) {
            rehash(slots.length * 2);
        }
        int h = mix(s.hashCode());
        int id = count++;
        strings[id] = s;
        hashes[id] = h;
        insertSlot(h, id);
        return id;
    }

    int get(String s) {
        int h = mix(s.hashCode());
        for (int i = h & mask; ; i = (i + 1) & mask) {
            int slot = slots[i];
            if (slot == 0) {
                return -1;
            }
            int id = slot - 1;
            if (hashes[id] == h && strings[id].equals(s)) {
                return id;
            }
        }
    }

    int get(char[] buf, int off, int len) {
        int raw = 0;
        for (int i = off, end = off + len; i < end; i++) {
            raw = 31 * raw + buf[i];
        }
        int h = mix(raw);
        for (int i = h & mask; ; i = (i + 1) & mask) {
            int slot = slots[i];
            if (slot == 0) {
                return -1;
            }
            int id = slot - 1;
            if (hashes[id] == h && equals(strings[id], buf, off, len)) {
                return id;
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

    private void insertSlot(int h, int id) {
        int i = h & mask;
        while (slots[i] != 0) {
            i = (i + 1) & mask;
        }
        slots[i] = id + 1;
    }

    private void rehash(int capacity) {
        slots = new int[capacity];
        mask = capacity - 1;
        for (int id = 0; id < count; id++) {
            insertSlot(hashes[id], id);
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
