package io.github.ggml4j.train;

/**
 * The shape of a Llama model trained by {@link Trainer}: width, depth, heads, feed-forward width, the
 * context length it is trained on and its vocabulary size (special tokens included).
 *
 * {@snippet :
 * LlamaShape shape = LlamaShape.DEMO;
 * long params = shape.parameterCount();
 * }
 *
 * @param nEmbd         embedding width
 * @param nLayer        transformer blocks
 * @param nHead         attention heads (key/value heads are the same number: no grouped-query attention)
 * @param nFf           feed-forward (SwiGLU) width
 * @param contextLength the context length written to the GGUF (and the longest training sequence)
 * @param vocabSize     tokens, special tokens included
 */
public record LlamaShape(int nEmbd, int nLayer, int nHead, int nFf, int contextLength, int vocabSize) {

    /** The shape of the committed demo model. */
    public static final LlamaShape DEMO = new LlamaShape(192, 4, 6, 512, 256, 4096);

    public LlamaShape {
        if (nEmbd <= 0 || nLayer <= 0 || nHead <= 0 || nFf <= 0 || contextLength <= 0 || vocabSize < 260) {
            throw new IllegalArgumentException("every size must be positive and the vocabulary at least 260 tokens: "
                    + "nEmbd=" + nEmbd + " nLayer=" + nLayer + " nHead=" + nHead + " nFf=" + nFf
                    + " contextLength=" + contextLength + " vocabSize=" + vocabSize);
        }
        if (nEmbd % nHead != 0 || (nEmbd / nHead) % 2 != 0) {
            throw new IllegalArgumentException("nEmbd must be nHead times an even head size: " + nEmbd + "/" + nHead);
        }
        if (nEmbd % 32 != 0 || nFf % 32 != 0) {
            throw new IllegalArgumentException("nEmbd and nFf must be multiples of 32 (Q8_0 blocks): " + nEmbd
                    + ", " + nFf);
        }
    }

    /** Parses {@code EMBD,LAYERS,HEADS,FF,CTX,VOCAB}. */
    public static LlamaShape parse(String spec) {
        String[] parts = spec.split(",");
        if (parts.length != 6) {
            throw new IllegalArgumentException("a shape is EMBD,LAYERS,HEADS,FF,CTX,VOCAB, got: " + spec);
        }
        int[] v = new int[6];
        for (int i = 0; i < 6; i++) {
            try {
                v[i] = Integer.parseInt(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a number in shape " + spec + ": " + parts[i], e);
            }
        }
        return new LlamaShape(v[0], v[1], v[2], v[3], v[4], v[5]);
    }

    /** The size of one attention head. */
    public int headDim() {
        return nEmbd / nHead;
    }

    /** Trainable numbers in the model. */
    public long parameterCount() {
        long e = nEmbd;
        long perLayer = 4 * e * e + 3 * e * nFf + 2 * e;
        return 2 * e * vocabSize + nLayer * perLayer + e;
    }

    @Override
    public String toString() {
        return nEmbd + "," + nLayer + "," + nHead + "," + nFf + "," + contextLength + "," + vocabSize;
    }
}
