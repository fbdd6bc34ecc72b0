package io.github.ggml4j.tokenizer;

/**
 * One stage of a BPE pre-tokenizer: refines a text, already cut into segments, into smaller pieces. Stages
 * run in order, each within the previous one's segments, as llama.cpp's {@code unicode_regex_split} does.
 */
interface Splitter {

    /**
     * @param cps      the code points of the whole fragment
     * @param segments lengths, in code points, of the current segments (they cover {@code cps})
     * @param out      receives the new segment lengths, in order
     */
    default void split(int[] cps, IntList segments, IntList out) {
        int start = 0;
        for (int i = 0; i < segments.size(); i++) {
            int end = start + segments.get(i);
            splitSegment(cps, start, end, out);
            start = end;
        }
    }

    /** Splits {@code cps[start, end)}; nothing outside it is visible to the pattern. */
    void splitSegment(int[] cps, int start, int end, IntList out);
}
