package io.github.ggml4j.sampling;

import io.github.ggml4j.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * DRY, as llama.cpp implements it (after koboldcpp): a token that would continue a sequence of the recent context
 * seen earlier gets {@code multiplier * base^(n - allowedLength)} subtracted, n the length of the repeat it would
 * extend. Sequence breakers end repeats: a token whose text contains a breaker is a one-token breaker; a token
 * holding the start of one, followed by the tokens of its rest, is a longer one.
 */
final class Dry implements Sampler {

    private static final int MAX_BREAKER_CHARS = 40;
    private static final int MAX_TAIL_TOKENS = 20;
    private static final float FLOAT_MAX_LOG = 88.7228391f;

    /** The breaker table of a vocabulary is the same for every chain; computing it scans the vocabulary. */
    private static final Map<Tokenizer, Map<List<String>, Map<Integer, List<int[]>>>> BREAKERS = new WeakHashMap<>();

    private final float multiplier;
    private final float base;
    private final int allowedLength;
    private final int lastN;
    private final Map<Integer, List<int[]>> breakers; // head token -> tails (empty tail: a one-token breaker)
    private int[] history = new int[64];
    private int historySize;

    Dry(DryOptions o, Tokenizer tokenizer) {
        this.multiplier = o.multiplier();
        this.base = o.base();
        this.allowedLength = o.allowedLength();
        this.lastN = o.penaltyLastN();
        this.breakers = tokenizer == null || o.breakers().isEmpty() ? Map.of() : breakers(tokenizer, o.breakers());
    }

    private static Map<Integer, List<int[]>> breakers(Tokenizer tokenizer, List<String> strings) {
        synchronized (BREAKERS) {
            return BREAKERS.computeIfAbsent(tokenizer, t -> new HashMap<>())
                    .computeIfAbsent(strings, s -> computeBreakers(tokenizer, s));
        }
    }

    private static Map<Integer, List<int[]>> computeBreakers(Tokenizer tokenizer, List<String> strings) {
        Map<Integer, List<int[]>> out = new HashMap<>();
        int n = tokenizer.vocabSize();
        byte[][] words = new byte[n][];
        for (int id = 0; id < n; id++) {
            words[id] = tokenizer.tokenBytes(id, true);
        }
        for (String s : strings) {
            byte[] str = s.getBytes(StandardCharsets.UTF_8);
            if (str.length > MAX_BREAKER_CHARS) {
                str = Arrays.copyOf(str, MAX_BREAKER_CHARS);
            }
            for (int id = 0; id < n; id++) {
                byte[] word = words[id];
                if (indexOf(word, str, 0) >= 0) {
                    add(out, id, new int[0]);
                    continue;
                }
                // the word ends with a prefix of the breaker: the rest, tokenized, is the tail
                for (int pos = indexOf(word, str[0]); pos >= 0; pos = indexOf(word, str[0], pos + 1)) {
                    int i = 1;
                    boolean match = true;
                    for (; i < str.length && i + pos < word.length; i++) {
                        if (word[pos + i] != str[i]) {
                            match = false;
                            break;
                        }
                    }
                    if (match) {
                        int[] tail = tokenizer.encode(Arrays.copyOfRange(str, i, str.length), false, false);
                        if (tail.length > MAX_TAIL_TOKENS) {
                            tail = Arrays.copyOf(tail, MAX_TAIL_TOKENS);
                        }
                        add(out, id, tail);
                    }
                }
            }
        }
        out.replaceAll((k, v) -> Collections.unmodifiableList(v));
        return Collections.unmodifiableMap(out);
    }

    private static void add(Map<Integer, List<int[]>> out, int id, int[] tail) {
        List<int[]> tails = out.computeIfAbsent(id, k -> new ArrayList<>());
        for (int[] t : tails) {
            if (Arrays.equals(t, tail)) {
                return;
            }
        }
        tails.add(tail);
    }

    private static int indexOf(byte[] hay, byte b) {
        return indexOf(hay, b, 0);
    }

    private static int indexOf(byte[] hay, byte b, int from) {
        for (int i = from; i < hay.length; i++) {
            if (hay[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private boolean enabled() {
        return multiplier != 0 && base >= 1 && lastN != 0;
    }

    @Override
    public void accept(int token) {
        if (!enabled()) {
            return;
        }
        if (historySize == history.length) {
            if (history.length >= lastN) {
                // keep the last lastN tokens: the ring buffer of llama.cpp, kept linear here
                System.arraycopy(history, history.length - lastN + 1, history, 0, lastN - 1);
                historySize = lastN - 1;
            } else {
                history = Arrays.copyOf(history, (int) Math.min((long) history.length * 2, Integer.MAX_VALUE - 8));
            }
        }
        history[historySize++] = token;
    }

    /** The token {@code i} places from the end (0: the last), as llama.cpp's {@code ring_buffer::rat}. */
    private int rat(int i) {
        return history[historySize - 1 - i];
    }

    /** Token id to the penalty subtracted from its logit, for the current context (empty when none applies). */
    Map<Integer, Float> penalties() {
        if (!enabled()) {
            return Map.of();
        }
        int n = Math.min(historySize, lastN);
        if (n <= allowedLength) {
            return Map.of();
        }
        int repLimit = n;
        for (int i = 0; i < n; i++) {
            List<int[]> tails = breakers.get(rat(i));
            if (tails == null) {
                continue;
            }
            int longest = -1;
            for (int[] tail : tails) {
                if (tail.length > longest && tail.length <= i) {
                    boolean match = true;
                    for (int off = 0; off < tail.length; off++) {
                        if (tail[off] != rat(i - off - 1)) {
                            match = false;
                            break;
                        }
                    }
                    if (match) {
                        longest = tail.length;
                    }
                }
            }
            if (longest >= 0) {
                repLimit = i - longest;
                break;
            }
        }
        if (repLimit < allowedLength) {
            return Map.of();
        }
        // Z-algorithm over the reversed context: repeat[last - k] = length of the suffix matching at distance k
        int[] repeat = new int[n];
        int last = n - 1;
        int rt = 0;
        int lt = 0;
        for (int k = 1; k < n; k++) {
            if (k > rt) {
                int m = 0;
                while (m + k < n && rat(m) == rat(m + k)) {
                    m++;
                }
                repeat[last - k] = Math.min(m, repLimit);
                if (m > 0) {
                    lt = k;
                    rt = k + m - 1;
                }
            } else {
                int p = k - lt;
                int rightLen = rt - k + 1;
                if (repeat[last - p] < rightLen) {
                    repeat[last - k] = Math.min(repeat[last - p], repLimit);
                } else {
                    int i = rt + 1;
                    while (i < n && rat(i) == rat(i - k)) {
                        i++;
                    }
                    repeat[last - k] = Math.min(i - k, repLimit);
                    lt = k;
                    rt = i - 1;
                }
            }
        }
        Map<Integer, Integer> maxRepeat = new HashMap<>();
        for (int i = 0; i < n - 1; i++) {
            int len = repeat[i];
            if (len >= allowedLength) {
                maxRepeat.merge(rat(n - 2 - i), len, Math::max);
            }
        }
        int maxExponent = base > 1.000001f ? (int) (FLOAT_MAX_LOG / (float) Math.log(base)) : 0;
        Map<Integer, Float> out = new HashMap<>();
        maxRepeat.forEach((token, len) -> {
            List<int[]> tails = breakers.get(token);
            if (tails != null && tails.stream().anyMatch(t -> t.length == 0)) {
                return; // a one-token breaker is never penalized
            }
            int exp = len - allowedLength;
            if (maxExponent > 0 && exp > maxExponent) {
                exp = maxExponent;
            }
            out.put(token, (float) (multiplier * Math.pow(base, exp)));
        });
        return out;
    }

    @Override
    public void apply(Candidates c) {
        Map<Integer, Float> pen = penalties();
        if (pen.isEmpty()) {
            return;
        }
        for (int i = 0; i < c.size; i++) {
            Float p = pen.get(c.id[i]);
            if (p != null) {
                c.logit[i] -= p;
            }
        }
        c.sorted = false;
    }
}
