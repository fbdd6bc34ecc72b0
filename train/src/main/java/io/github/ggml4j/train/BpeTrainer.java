package io.github.ggml4j.train;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Trains a GPT-2-style byte-level BPE vocabulary: text is split by GPT-2's pre-tokenizer pattern (the one
 * llama.cpp runs for {@code tokenizer.ggml.pre = "gpt-2"}), each piece becomes its bytes in GPT-2's printable
 * byte alphabet, and the most frequent adjacent pair is merged until the vocabulary has the size asked for.
 * Ties break on the pair's text, so the result depends on the corpus only.
 *
 * {@snippet :
 * BpeTrainer.Vocab v = BpeTrainer.train(corpusText, 4096);
 * v.tokens(); // 256 byte symbols, then one token per merge, in merge order
 * v.merges(); // "Ġt he" style merge rules, rank = index
 * }
 */
public final class BpeTrainer {

    /** GPT-2's pre-tokenizer pattern. */
    static final Pattern GPT2 = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    /** The trained vocabulary: tokens in id order and the merge rules by rank. */
    public record Vocab(List<String> tokens, List<String> merges) {
        public Vocab {
            tokens = List.copyOf(tokens);
            merges = List.copyOf(merges);
        }
    }

    private static final char[] BYTE_CHAR = new char[256];

    static {
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_CHAR[b] = printable ? (char) b : (char) next++;
        }
    }

    private BpeTrainer() {
    }

    /** GPT-2's printable stand-in for each byte of {@code piece}. */
    static String byteLevel(String piece) {
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        StringBuilder s = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            s.append(BYTE_CHAR[b & 0xFF]);
        }
        return s.toString();
    }

    /**
     * Trains on {@code text} until there are {@code vocabSize} tokens (256 bytes plus merges), or no pair
     * occurs twice.
     */
    public static Vocab train(String text, int vocabSize) {
        if (vocabSize < 256) {
            throw new IllegalArgumentException("vocabSize < 256: " + vocabSize);
        }
        Map<String, Integer> counts = new HashMap<>();
        Matcher m = GPT2.matcher(text);
        while (m.find()) {
            counts.merge(byteLevel(m.group()), 1, Integer::sum);
        }
        // Each distinct word as an array of symbol ids; symbols start as the 256 byte characters.
        List<String> symbols = new ArrayList<>();
        Map<String, Integer> symbolId = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            symbolId.put(String.valueOf(BYTE_CHAR[b]), symbols.size());
            symbols.add(String.valueOf(BYTE_CHAR[b]));
        }
        int nWords = counts.size();
        int[][] words = new int[nWords][];
        int[] freq = new int[nWords];
        int w = 0;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            String word = e.getKey();
            int[] ids = new int[word.length()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = symbolId.get(String.valueOf(word.charAt(i)));
            }
            words[w] = ids;
            freq[w++] = e.getValue();
        }
        Map<Long, Long> pairCount = new HashMap<>();
        Map<Long, Set<Integer>> pairWords = new HashMap<>();
        for (int i = 0; i < nWords; i++) {
            addPairs(words[i], i, freq[i], pairCount, pairWords, +1);
        }
        PriorityQueue<long[]> heap = new PriorityQueue<>((a, b) -> {
            int c = Long.compare(b[1], a[1]);
            return c != 0 ? c : pairText(symbols, a[0]).compareTo(pairText(symbols, b[0]));
        });
        pairCount.forEach((p, c) -> heap.add(new long[] {p, c}));
        List<String> merges = new ArrayList<>();
        while (symbols.size() < vocabSize && !heap.isEmpty()) {
            long[] top = heap.poll();
            Long current = pairCount.get(top[0]);
            if (current == null || current != top[1]) {
                if (current != null && current > 0) {
                    heap.add(new long[] {top[0], current}); // stale entry: requeue with the live count
                }
                continue;
            }
            if (current < 2) {
                break;
            }
            int a = (int) (top[0] >>> 32);
            int b = (int) top[0];
            String merged = symbols.get(a) + symbols.get(b);
            // Two merge paths can spell the same text ("ab"+"c", "a"+"bc"): one token, two rules.
            Integer known = symbolId.get(merged);
            int id = known != null ? known : symbols.size();
            if (known == null) {
                symbolId.put(merged, id);
                symbols.add(merged);
            }
            merges.add(symbols.get(a) + " " + symbols.get(b));
            Set<Integer> touched = pairWords.remove(top[0]);
            pairCount.remove(top[0]);
            Set<Long> changed = new HashSet<>();
            for (int wi : touched) {
                addPairs(words[wi], wi, freq[wi], pairCount, pairWords, -1, changed);
                words[wi] = apply(words[wi], a, b, id);
                addPairs(words[wi], wi, freq[wi], pairCount, pairWords, +1, changed);
            }
            for (long p : changed) {
                Long c = pairCount.get(p);
                if (c != null && c > 0) {
                    heap.add(new long[] {p, c});
                }
            }
        }
        return new Vocab(symbols, merges);
    }

    private static String pairText(List<String> symbols, long pair) {
        return symbols.get((int) (pair >>> 32)) + " " + symbols.get((int) pair);
    }

    private static int[] apply(int[] word, int a, int b, int id) {
        int[] out = new int[word.length];
        int n = 0;
        for (int i = 0; i < word.length; i++) {
            if (i + 1 < word.length && word[i] == a && word[i + 1] == b) {
                out[n++] = id;
                i++;
            } else {
                out[n++] = word[i];
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    private static void addPairs(int[] word, int wi, int f, Map<Long, Long> pairCount,
                                 Map<Long, Set<Integer>> pairWords, int sign) {
        addPairs(word, wi, f, pairCount, pairWords, sign, null);
    }

    private static void addPairs(int[] word, int wi, int f, Map<Long, Long> pairCount,
                                 Map<Long, Set<Integer>> pairWords, int sign, Set<Long> changed) {
        for (int i = 0; i + 1 < word.length; i++) {
            long p = ((long) word[i] << 32) | (word[i + 1] & 0xFFFFFFFFL);
            long c = pairCount.merge(p, (long) sign * f, Long::sum);
            if (c <= 0) {
                pairCount.remove(p);
            }
            if (sign > 0) {
                pairWords.computeIfAbsent(p, k -> new HashSet<>()).add(wi);
            }
            if (changed != null) {
                changed.add(p);
            }
        }
    }
}
