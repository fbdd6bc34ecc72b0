package io.github.ggml4j.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The RWKV "world" tokenizer as llama.cpp's {@code llm_tokenizer_rwkv}: every token's string is unescaped
 * ({@link #unescape}: {@code \t \n \r \xHH} and backslash before any other character) into the bytes it
 * stands for, and the UTF-8 text is covered greedily from the left by the longest token whose bytes match
 * (a byte trie; a later token with the same bytes wins, as in llama.cpp). A byte that starts no token
 * becomes the unknown token when the vocabulary names one, and is dropped otherwise (llama.cpp would emit
 * -1); a byte that starts only longer tokens none of which match is treated the same way (llama.cpp would
 * loop forever). Decoding gives every token's unescaped bytes, control tokens included.
 */
final class RwkvTokenizer extends Tokenizer {

    /** (node << 8 | byte) -> child node; node 0 is the root. */
    private final LongIntMap children;
    /** Token id ending at each node, or -1. */
    private int[] values;
    private int nodes = 1;

    RwkvTokenizer(Vocabulary vocabulary) {
        super(vocabulary, false, RwkvTokenizer::unescape, true);
        int n = vocabulary.size();
        children = new LongIntMap(n * 4);
        values = new int[Math.max(16, n * 2)];
        Arrays.fill(values, -1);
        for (int id = 0; id < n; id++) {
            insert(unescape(vocabulary.tokens().get(id)), id);
        }
    }

    private void insert(byte[] key, int id) {
        int node = 0;
        for (byte b : key) {
            long k = ((long) node << 8) | (b & 0xFF);
            int child = children.get(k);
            if (child < 0) {
                child = nodes++;
                children.putIfAbsent(k, child);
                if (child >= values.length) {
                    int old = values.length;
                    values = Arrays.copyOf(values, old * 2);
                    Arrays.fill(values, old, values.length, -1);
                }
            }
            node = child;
        }
        values[node] = id;
    }

    @Override
    void encodeText(String text, int from, int to, boolean afterSpecial, IntList out) {
        byte[] b = text.substring(from, to).getBytes(StandardCharsets.UTF_8);
        int unk = specialTokens().unk();
        int pos = 0;
        while (pos < b.length) {
            int node = 0;
            int best = -1;
            int bestEnd = pos;
            for (int i = pos; i < b.length; i++) {
                node = children.get(((long) node << 8) | (b[i] & 0xFF));
                if (node < 0) {
                    break;
                }
                if (values[node] >= 0) {
                    best = values[node];
                    bestEnd = i + 1;
                }
            }
            if (best < 0) {
                if (unk >= 0) {
                    out.add(unk);
                }
                pos++;
            } else {
                out.add(best);
                pos = bestEnd;
            }
        }
    }

    /** The bytes an RWKV token string stands for, as llama.cpp's {@code llama_unescape_rwkv_token}. */
    static byte[] unescape(String escaped) {
        byte[] in = escaped.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
        boolean escaping = false;
        int hexLeft = 0;
        int acc = 0;
        for (byte c : in) {
            if (hexLeft != 0) {
                // as llama.cpp reads it: lowercase hex digits (anything else gives what its arithmetic gives)
                int value = c >= 'a' ? c - 'a' + 10 : c - '0';
                acc = ((acc << 4) + value) & 0xFF;
                if (--hexLeft == 0) {
                    out.write(acc);
                    acc = 0;
                }
                continue;
            }
            if (escaping) {
                switch (c) {
                    case 't' -> out.write('\t');
                    case 'n' -> out.write('\n');
                    case 'r' -> out.write('\r');
                    case 'x' -> hexLeft = 2;
                    default -> out.write(c);
                }
                escaping = false;
                continue;
            }
            if (c == '\\') {
                escaping = true;
                continue;
            }
            out.write(c);
        }
        return out.toByteArray();
    }
}
