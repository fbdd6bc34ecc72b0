package io.github.ggml4j.testing;

import io.github.ggml4j.gguf.GgufArray;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufValue;
import io.github.ggml4j.gguf.GgufValueType;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Unigram ({@code tokenizer.ggml.model = "t5"}) vocabulary for synthetic models and tokenizer tests: the pieces
 * of the pinned tree's {@code llama-spm} vocabulary with made-up log-probabilities as scores (so the Viterbi
 * search has real choices), a few pieces turned user-defined or unused, T5's flags, and optionally a
 * {@code precompiled_charsmap} built here in SentencePiece's double-array format from {@link #RULES}.
 *
 * {@snippet :
 * SyntheticGguf g = SyntheticGguf.create("t5");
 * SyntheticUgm.put(g, new SyntheticUgm(true, false, true));
 * }
 *
 * @param addSpacePrefix         {@code tokenizer.ggml.add_space_prefix}
 * @param removeExtraWhitespaces {@code tokenizer.ggml.remove_extra_whitespaces}
 * @param charsmap               write {@link #RULES} as {@code tokenizer.ggml.precompiled_charsmap}
 */
public record SyntheticUgm(boolean addSpacePrefix, boolean removeExtraWhitespaces, boolean charsmap) {

    /** Normalization rules for the charsmap: ligatures, full-width forms, whitespace, deletions, longest match. */
    public static final Map<String, String> RULES;

    static {
        Map<String, String> r = new LinkedHashMap<>();
        r.put("\uFB01", "fi");
        r.put("\uFB02", "fl");
        r.put("\uFF21", "A");
        r.put("\uFF41", "a");
        r.put("\uFF11", "1");
        r.put("\t", " ");
        r.put("\n", " ");
        r.put("\r", " ");
        r.put("\r\n", " ");
        r.put("\u00A0", " ");
        r.put("\u3000", "  ");
        r.put("\u200B", "");
        r.put("\u2026", "...");
        r.put("\u00BD", "1/2");
        r.put("e\u0301", "\u00E9");
        r.put("\u01C4", "D\u017D");
        r.put("ab", "X");
        r.put("abc", "Y z");
        RULES = Map.copyOf(r);
    }

    /** Pieces made user-defined (matched whole, before normalization, score 0). */
    public static final List<String> USER_DEFINED = List.of("ing", "tion", "\u2581the");

    /** Pieces made unused (still matched, at their score). */
    public static final List<String> UNUSED = List.of("\u2581and", "er");

    /** The tokenizer keys of this vocabulary into {@code g}. */
    public static void put(SyntheticGguf g, SyntheticUgm spec) {
        g.copyTokenizer(SyntheticLlama.vocabPath("llama-spm"));
        List<String> tokens;
        int[] types;
        try (GgufFile f = GgufFile.open(SyntheticLlama.vocabPath("llama-spm"))) {
            tokens = List.copyOf(f.metadata().getArray("tokenizer.ggml.tokens").strings());
            types = f.metadata().getArray("tokenizer.ggml.token_type").toIntArray();
        }
        float[] scores = new float[tokens.size()];
        for (int i = 0; i < scores.length; i++) {
            // a Zipf-like log-probability, jittered so that equal sums are rare
            long h = (i * 0x9E3779B97F4A7C15L) >>> 40;
            scores[i] = (float) (-Math.log(i + 8.0) - 0.25 * (h % 1000) / 1000.0);
        }
        for (String t : USER_DEFINED) {
            types[tokens.indexOf(t)] = 4;
        }
        for (String t : UNUSED) {
            types[tokens.indexOf(t)] = 5;
        }
        g.putString("tokenizer.ggml.model", "t5")
                .putFloats("tokenizer.ggml.scores", scores)
                .putInts("tokenizer.ggml.token_type", types)
                .putBool("tokenizer.ggml.add_bos_token", false)
                .putBool("tokenizer.ggml.add_eos_token", true)
                .putBool("tokenizer.ggml.add_space_prefix", spec.addSpacePrefix)
                .putBool("tokenizer.ggml.remove_extra_whitespaces", spec.removeExtraWhitespaces)
                .putUInt32("tokenizer.ggml.padding_token_id", 0);
        if (spec.charsmap) {
            byte[] blob = charsmap(RULES);
            List<GgufValue> values = new ArrayList<>(blob.length);
            for (byte b : blob) {
                values.add(new GgufValue.UInt8(b & 0xFF));
            }
            g.set("tokenizer.ggml.precompiled_charsmap", GgufArray.of(GgufValueType.UINT8, values));
        }
    }

    /** A vocabulary-only file of this vocabulary (architecture {@code llama}, as the tree's vocabularies). */
    public Path cached() {
        return SyntheticTensors.cached("ugm-vocab-" + addSpacePrefix + "-" + removeExtraWhitespaces + "-" + charsmap + "-v1",
                toString(), target -> {
                    SyntheticGguf g = SyntheticGguf.create("llama");
                    put(g, this);
                    g.write(target);
                });
    }

    // ---------------------------------------------------------------- the double array

    private static final class Node {
        final TreeMap<Integer, Node> children = new TreeMap<>();
        int value = -1; // offset of the replacement, if a key ends here
        int index;
    }

    /**
     * SentencePiece's precompiled charsmap for {@code rules}: the u32 size of the array, the array (every node's
     * children at {@code offset ^ byte}, a key's replacement offset at {@code offset} itself, marked by bit 31),
     * then the NUL-terminated replacements. The array is a whole number of 256-entry blocks, so every lookup
     * stays inside it.
     */
    public static byte[] charsmap(Map<String, String> rules) {
        ByteArrayOutputStream repl = new ByteArrayOutputStream();
        Node root = new Node();
        for (Map.Entry<String, String> e : new TreeMap<>(rules).entrySet()) {
            Node n = root;
            for (byte b : e.getKey().getBytes(StandardCharsets.UTF_8)) {
                n = n.children.computeIfAbsent(b & 0xFF, k -> new Node());
            }
            n.value = repl.size();
            repl.writeBytes(e.getValue().getBytes(StandardCharsets.UTF_8));
            repl.write(0);
        }
        int[] array = new int[256];
        boolean[] used = new boolean[256];
        used[0] = true;
        List<Node> queue = new ArrayList<>(List.of(root));
        for (int q = 0; q < queue.size(); q++) {
            Node n = queue.get(q);
            int offset = 1;
            while (!fits(n, offset, used)) {
                offset++;
            }
            int need = ((offset | 0xFF) + 1);
            if (need > array.length) {
                array = Arrays.copyOf(array, need);
                used = Arrays.copyOf(used, need);
            }
            int base = n.index ^ offset;
            if (base >= 1 << 21) {
                throw new IllegalStateException("charsmap too large for unshifted BASE values");
            }
            array[n.index] |= base << 10;
            if (n.value >= 0) {
                used[offset] = true;
                array[offset] = 0x80000000 | n.value;
            }
            for (Map.Entry<Integer, Node> c : n.children.entrySet()) {
                Node child = c.getValue();
                child.index = offset ^ c.getKey();
                used[child.index] = true;
                array[child.index] = c.getKey() | (child.value >= 0 ? 1 << 8 : 0);
                queue.add(child);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeInt(out, array.length * 4);
        for (int v : array) {
            writeInt(out, v);
        }
        out.writeBytes(repl.toByteArray());
        return out.toByteArray();
    }

    private static boolean fits(Node n, int offset, boolean[] used) {
        if (n.value >= 0 && offset < used.length && used[offset]) {
            return false;
        }
        for (int c : n.children.keySet()) {
            int i = offset ^ c;
            if (i == 0 || (i < used.length && used[i])) {
                return false;
            }
        }
        return true;
    }

    private static void writeInt(ByteArrayOutputStream out, int v) {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }
}
