package io.github.ggml4j.tokenizer;

import io.github.ggml4j.TokenizerException;

/**
 * Ids of a vocabulary's special tokens; {@link #NONE} where the vocabulary has none.
 *
 * <p>{@link Vocabulary} holds them as the file (or llama.cpp's defaults per model) gives them;
 * {@link Tokenizer#specialTokens()} adds those llama.cpp finds by their text ({@code <|eot_id|>},
 * {@code <|fim_prefix|>}, ...).
 *
 * {@snippet :
 * SpecialTokens s = tokenizer.specialTokens();
 * if (s.eot() != SpecialTokens.NONE) {
 *     // stop generating at s.eot()
 * }
 * }
 *
 * @param bos    beginning of sequence
 * @param eos    end of sequence
 * @param eot    end of turn
 * @param eom    end of message
 * @param unk    unknown
 * @param sep    separator
 * @param pad    padding
 * @param mask   mask
 * @param fimPre fill-in-the-middle: prefix
 * @param fimSuf fill-in-the-middle: suffix
 * @param fimMid fill-in-the-middle: middle
 * @param fimPad fill-in-the-middle: padding
 * @param fimRep fill-in-the-middle: repository name
 * @param fimSep fill-in-the-middle: file separator
 */
public record SpecialTokens(int bos, int eos, int eot, int eom, int unk, int sep, int pad, int mask,
                            int fimPre, int fimSuf, int fimMid, int fimPad, int fimRep, int fimSep) {

    /** No such token. */
    public static final int NONE = -1;

    /** No special tokens at all. */
    public static final SpecialTokens EMPTY =
            new SpecialTokens(NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE);

    public SpecialTokens {
        int[] all = {bos, eos, eot, eom, unk, sep, pad, mask, fimPre, fimSuf, fimMid, fimPad, fimRep, fimSep};
        for (int id : all) {
            if (id < NONE) {
                throw new TokenizerException("special token id " + id + " is negative");
            }
        }
    }

    /** Throws unless every id is {@link #NONE} or below {@code vocabSize}. */
    void checkWithin(int vocabSize) {
        String[] names = {"bos", "eos", "eot", "eom", "unk", "sep", "pad", "mask",
                          "fim_pre", "fim_suf", "fim_mid", "fim_pad", "fim_rep", "fim_sep"};
        int[] all = {bos, eos, eot, eom, unk, sep, pad, mask, fimPre, fimSuf, fimMid, fimPad, fimRep, fimSep};
        for (int i = 0; i < all.length; i++) {
            if (all[i] >= vocabSize) {
                throw new TokenizerException(names[i] + " token id " + all[i] + " is outside the vocabulary of "
                        + vocabSize + " tokens");
            }
        }
    }

    SpecialTokens withEot(int id) {
        return new SpecialTokens(bos, eos, id, eom, unk, sep, pad, mask, fimPre, fimSuf, fimMid, fimPad, fimRep, fimSep);
    }

    SpecialTokens withEom(int id) {
        return new SpecialTokens(bos, eos, eot, id, unk, sep, pad, mask, fimPre, fimSuf, fimMid, fimPad, fimRep, fimSep);
    }

    SpecialTokens withFim(int pre, int suf, int mid, int fpad, int rep, int fsep) {
        return new SpecialTokens(bos, eos, eot, eom, unk, sep, pad, mask, pre, suf, mid, fpad, rep, fsep);
    }
}
