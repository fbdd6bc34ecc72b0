package io.github.ggml4j.tokenizer;

import io.github.ggml4j.TokenizerException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Everything a tokenizer is built from: the token strings, their scores and types, the BPE merges, the
 * special token ids and the flags that steer encoding. {@link Tokenizer#fromGguf} reads one from a model
 * file; {@link #builder} makes one from plain data, filling in llama.cpp's defaults for whatever is not
 * given.
 *
 * <p>The constructor checks the data and throws {@link TokenizerException} for: no tokens; scores or types
 * not one per token; duplicate tokens; special ids outside the vocabulary; {@link TokenType#BYTE} tokens not
 * spelled {@code <0xXX>} with two hex digits; {@code addBos}/{@code addEos} without the token to add.
 * Empty token strings are renamed {@code [EMPTY_<id>]}, as llama.cpp does.
 *
 * {@snippet :
 * Vocabulary v = Vocabulary.builder("llama", List.of("<unk>", "<s>", "</s>", "\u2581a", "a"))
 *         .scores(new float[] {0, 0, 0, -1, -2})
 *         .build();
 * Tokenizer t = Tokenizer.fromVocabulary(v);
 * }
 *
 * @param model          the algorithm
 * @param preTokenizer   {@code tokenizer.ggml.pre}, "" if absent (BPE then uses llama.cpp's "default")
 * @param tokens         token strings, by id
 * @param scores         one score per token (SPM merge priority; 0 where the file has none)
 * @param tokenTypes     one type per token
 * @param merges         BPE merges, {@code "left right"}, by rank; empty for other models
 * @param specialTokens  special ids as the file (or llama.cpp's defaults) give them
 * @param addBos         prepend BOS when encoding with special tokens
 * @param addEos         append EOS when encoding with special tokens
 * @param addSpacePrefix SPM: prefix a space to text at the start and after special tokens; also makes
 *                       decoding drop one leading space
 * @param lowercase      WPM: lowercase the text
 * @param stripAccents   WPM: drop combining marks after canonical decomposition
 * @param modelName      {@code general.name} ("" if absent): llama.cpp keys some token flags on it (Phi-3)
 * @param architecture   {@code general.architecture} ("" if absent), likewise
 * @param removeExtraWhitespaces UGM: collapse runs of spaces into one and drop leading and trailing ones
 *                       ({@code tokenizer.ggml.remove_extra_whitespaces})
 * @param precompiledCharsmap UGM: SentencePiece's normalization rules ({@code tokenizer.ggml.precompiled_charsmap}:
 *                       a little-endian u32 size, a double-array trie of that many bytes, then NUL-terminated
 *                       replacement strings); empty if absent
 */
public record Vocabulary(TokenizerModel model, String preTokenizer, List<String> tokens, float[] scores,
                         List<TokenType> tokenTypes, List<String> merges, SpecialTokens specialTokens,
                         boolean addBos, boolean addEos, boolean addSpacePrefix, boolean lowercase,
                         boolean stripAccents, String modelName, String architecture,
                         boolean removeExtraWhitespaces, byte[] precompiledCharsmap) {

    public Vocabulary {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(preTokenizer, "preTokenizer");
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(scores, "scores");
        Objects.requireNonNull(tokenTypes, "tokenTypes");
        Objects.requireNonNull(merges, "merges");
        Objects.requireNonNull(specialTokens, "specialTokens");
        Objects.requireNonNull(modelName, "modelName");
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(precompiledCharsmap, "precompiledCharsmap");
        if (precompiledCharsmap.length > 0) {
            UgmCharsmap.check(precompiledCharsmap);
        }
        int n = tokens.size();
        if (n == 0) {
            throw new TokenizerException("vocabulary has no tokens");
        }
        if (scores.length != n) {
            throw new TokenizerException("vocabulary has " + n + " tokens but " + scores.length + " scores");
        }
        if (tokenTypes.size() != n) {
            throw new TokenizerException("vocabulary has " + n + " tokens but " + tokenTypes.size() + " token types");
        }
        List<String> named = new ArrayList<>(n);
        TokenTable seen = new TokenTable(n);
        for (int i = 0; i < n; i++) {
            String t = tokens.get(i);
            if (t == null) {
                throw new TokenizerException("token " + i + " is null");
            }
            if (t.isEmpty()) {
                t = "[EMPTY_" + i + "]";
            }
            int first = seen.intern(t);
            if (first != i) {
                throw new TokenizerException("token " + i + " duplicates token " + first + " ('" + t + "')");
            }
            TokenType type = tokenTypes.get(i);
            if (type == null) {
                throw new TokenizerException("token " + i + " has no type");
            }
            if (type == TokenType.BYTE && byteValue(t) < 0) {
                throw new TokenizerException("byte token " + i + " is '" + t + "', not <0xXX>");
            }
            named.add(t);
        }
        for (int i = 0; i < merges.size(); i++) {
            if (merges.get(i) == null) {
                throw new TokenizerException("merge " + i + " is null");
            }
        }
        specialTokens.checkWithin(n);
        if (addBos && specialTokens.bos() == SpecialTokens.NONE) {
            throw new TokenizerException("add_bos_token is set but the vocabulary has no BOS token");
        }
        if (addEos && specialTokens.eos() == SpecialTokens.NONE) {
            throw new TokenizerException("add_eos_token is set but the vocabulary has no EOS token");
        }
        if (model == TokenizerModel.WPM
                && (specialTokens.bos() == SpecialTokens.NONE || specialTokens.sep() == SpecialTokens.NONE)) {
            throw new TokenizerException("a WordPiece vocabulary needs BOS (CLS) and SEP tokens");
        }
        tokens = List.copyOf(named);
        scores = scores.clone();
        tokenTypes = List.copyOf(tokenTypes);
        merges = List.copyOf(merges);
        precompiledCharsmap = precompiledCharsmap.clone();
    }

    /** Number of tokens. */
    public int size() {
        return tokens.size();
    }

    /** A copy of the scores. */
    @Override
    public float[] scores() {
        return scores.clone();
    }

    /** A copy of the precompiled charsmap (empty if none). */
    @Override
    public byte[] precompiledCharsmap() {
        return precompiledCharsmap.clone();
    }

    float score(int id) {
        return scores[id];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Vocabulary v && model == v.model && preTokenizer.equals(v.preTokenizer)
                && tokens.equals(v.tokens) && Arrays.equals(scores, v.scores) && tokenTypes.equals(v.tokenTypes)
                && merges.equals(v.merges) && specialTokens.equals(v.specialTokens) && addBos == v.addBos
                && addEos == v.addEos && addSpacePrefix == v.addSpacePrefix && lowercase == v.lowercase
                && stripAccents == v.stripAccents && modelName.equals(v.modelName)
                && architecture.equals(v.architecture) && removeExtraWhitespaces == v.removeExtraWhitespaces
                && Arrays.equals(precompiledCharsmap, v.precompiledCharsmap);
    }

    @Override
    public int hashCode() {
        return Objects.hash(model, preTokenizer, tokens, Arrays.hashCode(scores), tokenTypes, merges, specialTokens,
                addBos, addEos, addSpacePrefix, lowercase, stripAccents, modelName, architecture,
                removeExtraWhitespaces, Arrays.hashCode(precompiledCharsmap));
    }

    @Override
    public String toString() {
        return "Vocabulary[" + model + ", pre='" + preTokenizer + "', " + tokens.size() + " tokens, "
                + merges.size() + " merges, " + specialTokens + ", addBos=" + addBos + ", addEos=" + addEos
                + ", addSpacePrefix=" + addSpacePrefix + "]";
    }

    /** The text of byte {@code b}'s token, {@code <0xXX>} in upper-case hex (no Formatter: it costs at start-up). */
    static String byteText(int b) {
        return "<0x" + java.util.HexFormat.of().withUpperCase().toHexDigits((byte) b) + ">";
    }

    /** The byte a {@code <0xXX>} token stands for, or -1 if {@code text} is not of that form. */
    static int byteValue(String text) {
        if (text.length() != 6 || !text.startsWith("<0x") || text.charAt(5) != '>') {
            return -1;
        }
        int hi = Character.digit(text.charAt(3), 16);
        int lo = Character.digit(text.charAt(4), 16);
        return hi < 0 || lo < 0 || text.charAt(3) > 'f' || text.charAt(4) > 'f' ? -1 : hi * 16 + lo;
    }

    /**
     * A builder for the model named as in {@code tokenizer.ggml.model} ({@code "llama"}, {@code "gpt2"},
     * {@code "gemma4"}, {@code "bert"}).
     *
     * @throws TokenizerException for models ggml4j does not implement
     */
    public static Builder builder(String ggufModel, List<String> tokens) {
        return new Builder(ggufModel, tokens);
    }

    /**
     * Collects a vocabulary's parts; {@link #build()} fills in what was not set the way llama.cpp's loader
     * does for the model and pre-tokenizer: default special ids (1/2/0 for SPM, 11 for GPT-2 BPE, 101/102/100
     * for BERT, EOS 1 / UNK 2 / PAD 0 for UGM; a default outside the vocabulary means none), {@code addBos} (on for SPM, WPM and the Llama 3
     * pre-tokenizer family; forced on for Gemma 4), {@code addEos} (on for UGM), {@code addSpacePrefix} (on for SPM), lowercase and
     * accent stripping (on; stripping follows lowercase).
     */
    public static final class Builder {
        private final String ggufModel;
        private final TokenizerModel model;
        private final List<String> tokens;
        private String pre = "";
        private float[] scores;
        private List<TokenType> types;
        private List<String> merges = List.of();
        private final Integer[] ids = new Integer[14];
        private Boolean addBos;
        private Boolean addEos;
        private Boolean addSpacePrefix;
        private Boolean lowercase;
        private Boolean stripAccents;
        private String modelName = "";
        private String architecture = "";
        private boolean removeExtraWhitespaces;
        private byte[] precompiledCharsmap = new byte[0];

        private Builder(String ggufModel, List<String> tokens) {
            this.ggufModel = Objects.requireNonNull(ggufModel, "ggufModel");
            this.model = TokenizerModel.fromGgufName(ggufModel);
            this.tokens = Objects.requireNonNull(tokens, "tokens");
        }

        public Builder preTokenizer(String name) {
            this.pre = Objects.requireNonNull(name);
            return this;
        }

        public Builder scores(float[] scores) {
            this.scores = scores.clone();
            return this;
        }

        public Builder tokenTypes(List<TokenType> types) {
            this.types = List.copyOf(types);
            return this;
        }

        /** Types as GGUF codes. */
        public Builder tokenTypeCodes(int[] codes) {
            List<TokenType> list = new ArrayList<>(codes.length);
            for (int c : codes) {
                list.add(TokenType.fromCode(c));
            }
            this.types = list;
            return this;
        }

        public Builder merges(List<String> merges) {
            this.merges = List.copyOf(merges);
            return this;
        }

        /** {@code tokenizer.ggml.bos_token_id}. */
        public Builder bos(int id) {
            return id(0, id);
        }

        /** {@code tokenizer.ggml.eos_token_id}. */
        public Builder eos(int id) {
            return id(1, id);
        }

        /** {@code tokenizer.ggml.eot_token_id}. */
        public Builder eot(int id) {
            return id(2, id);
        }

        /** {@code tokenizer.ggml.eom_token_id}. */
        public Builder eom(int id) {
            return id(3, id);
        }

        /** {@code tokenizer.ggml.unknown_token_id}. */
        public Builder unk(int id) {
            return id(4, id);
        }

        /** {@code tokenizer.ggml.seperator_token_id}. */
        public Builder sep(int id) {
            return id(5, id);
        }

        /** {@code tokenizer.ggml.padding_token_id}. */
        public Builder pad(int id) {
            return id(6, id);
        }

        /** {@code tokenizer.ggml.mask_token_id}. */
        public Builder mask(int id) {
            return id(7, id);
        }

        /** {@code tokenizer.ggml.fim_pre_token_id}. */
        public Builder fimPre(int id) {
            return id(8, id);
        }

        /** {@code tokenizer.ggml.fim_suf_token_id}. */
        public Builder fimSuf(int id) {
            return id(9, id);
        }

        /** {@code tokenizer.ggml.fim_mid_token_id}. */
        public Builder fimMid(int id) {
            return id(10, id);
        }

        /** {@code tokenizer.ggml.fim_pad_token_id}. */
        public Builder fimPad(int id) {
            return id(11, id);
        }

        /** {@code tokenizer.ggml.fim_rep_token_id}. */
        public Builder fimRep(int id) {
            return id(12, id);
        }

        /** {@code tokenizer.ggml.fim_sep_token_id}. */
        public Builder fimSep(int id) {
            return id(13, id);
        }

        public Builder addBos(boolean value) {
            this.addBos = value;
            return this;
        }

        public Builder addEos(boolean value) {
            this.addEos = value;
            return this;
        }

        public Builder addSpacePrefix(boolean value) {
            this.addSpacePrefix = value;
            return this;
        }

        public Builder lowercase(boolean value) {
            this.lowercase = value;
            return this;
        }

        public Builder stripAccents(boolean value) {
            this.stripAccents = value;
            return this;
        }

        public Builder modelName(String name) {
            this.modelName = Objects.requireNonNull(name);
            return this;
        }

        public Builder architecture(String name) {
            this.architecture = Objects.requireNonNull(name);
            return this;
        }

        /** UGM: {@code tokenizer.ggml.remove_extra_whitespaces}. */
        public Builder removeExtraWhitespaces(boolean value) {
            this.removeExtraWhitespaces = value;
            return this;
        }

        /** UGM: {@code tokenizer.ggml.precompiled_charsmap}, checked when built. */
        public Builder precompiledCharsmap(byte[] charsmap) {
            this.precompiledCharsmap = charsmap.clone();
            return this;
        }

        private Builder id(int slot, int id) {
            ids[slot] = id;
            return this;
        }

        /**
         * @throws TokenizerException if the parts do not make a valid vocabulary, or a BPE pre-tokenizer is
         *                            not supported
         */
        public Vocabulary build() {
            int n = tokens.size();
            int[] defaults = new int[14];
            Arrays.fill(defaults, SpecialTokens.NONE);
            boolean bos = false;
            boolean spacePrefix = false;
            boolean eos = false;
            String preName = pre;
            switch (model) {
                case SPM -> {
                    defaults[0] = 1;
                    defaults[1] = 2;
                    defaults[4] = 0;
                    bos = true;
                    spacePrefix = true;
                }
                case UGM -> {
                    defaults[1] = 1;
                    defaults[4] = 2;
                    defaults[6] = 0;
                    eos = true;
                }
                case RWKV -> {
                    // no default special tokens, no BOS, no space prefix (llama.cpp's loader)
                }
                case WPM -> {
                    defaults[0] = 101;
                    defaults[4] = 100;
                    defaults[5] = 102;
                    defaults[6] = 0;
                    defaults[7] = 103;
                    bos = true;
                }
                case BPE -> {
                    if (ggufModel.equals("gemma4")) {
                        preName = "gemma4";
                    } else {
                        defaults[0] = 11;
                        defaults[1] = 11;
                    }
                    PreTokenizerType type = PreTokenizerType.forName(preName);
                    bos = type.addBosByDefault();
                    if (type.noBos()) {
                        defaults[0] = SpecialTokens.NONE;
                    }
                }
            }
            int[] resolved = new int[14];
            for (int i = 0; i < 14; i++) {
                int d = defaults[i] < n ? defaults[i] : SpecialTokens.NONE;
                resolved[i] = ids[i] != null ? ids[i] : d;
            }
            if (addBos != null) {
                bos = addBos;
            }
            if (model == TokenizerModel.BPE && PreTokenizerType.forName(preName).forcesBos()) {
                bos = true;
            }
            boolean lower = lowercase == null || lowercase;
            eos = addEos != null ? addEos : eos && resolved[1] != SpecialTokens.NONE;
            SpecialTokens special = new SpecialTokens(resolved[0], resolved[1], resolved[2], resolved[3],
                    resolved[4], resolved[5], resolved[6], resolved[7], resolved[8], resolved[9], resolved[10],
                    resolved[11], resolved[12], resolved[13]);
            float[] s = scores != null ? scores : new float[n];
            List<TokenType> t = types != null ? types : Collections.nCopies(n, TokenType.NORMAL);
            return new Vocabulary(model, preName, tokens, s, t, merges, special, bos,
                    eos, addSpacePrefix != null ? addSpacePrefix : spacePrefix, lower,
                    stripAccents != null ? stripAccents : lower, modelName, architecture, removeExtraWhitespaces,
                    precompiledCharsmap);
        }
    }
}
