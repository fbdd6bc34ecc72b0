package io.github.ggml4j.tokenizer;

/** {@code [^\n]+|[\n]+}: runs of newlines and runs of everything else (Gemma 4's only split). */
final class NewlineSplitter implements Splitter {

    static final NewlineSplitter INSTANCE = new NewlineSplitter();

    private NewlineSplitter() {
    }

    @Override
    public void splitSegment(int[] cps, int start, int end, IntList out) {
        int pos = start;
        while (pos < end) {
            boolean newline = cps[pos] == '\n';
            int runStart = pos;
            while (pos < end && (cps[pos] == '\n') == newline) {
                pos++;
            }
            out.add(pos - runStart);
        }
    }
}
