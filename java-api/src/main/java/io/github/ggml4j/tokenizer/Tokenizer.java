package io.github.ggml4j.tokenizer;

import io.github.ggml4j.TokenizerException;
import io.github.ggml4j.gguf.GgufFile;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Text to token ids and back, in pure Java, with the results of llama.cpp's tokenizer for the same
 * vocabulary: SentencePiece-style ({@code llama}), Unigram ({@code t5}), byte-level BPE ({@code gpt2}, with the pre-tokenizers
 * listed by {@link #supportedPreTokenizers()}; and Gemma 4's {@code gemma4}), and WordPiece ({@code bert}).
 *
 * {@snippet :
 * try (GgufFile gguf = GgufFile.open(Path.of("model.gguf"))) {
 *     Tokenizer tok = Tokenizer.fromGguf(gguf);
 *     int[] ids = tok.encode("Hello, world!", true, false);   // with BOS where the model wants it
 *     String text = tok.decode(ids);
 * }
 * }
 *
 * <p>Input that is not well-formed Unicode is made so first: in a {@code String}, every unpaired surrogate
 * becomes U+FFFD; in {@link #encode(byte[], boolean, boolean) UTF-8 bytes}, every byte that does not start a
 * well-formed sequence becomes one U+FFFD. (llama.cpp's BPE does the same for the common cases; its SPM
 * would turn such bytes into byte tokens instead.)
 *
 * <p>Instances are immutable and thread-safe.
 */
public abstract sealed class Tokenizer permits SpmTokenizer, BpeTokenizer, WpmTokenizer, UgmTokenizer, RwkvTokenizer {

    final Vocabulary vocabulary;
    final int vocabSize;
    /** Token strings first (id = index), then any extra strings a subclass interns. */
    final TokenTable tokens;
    private final int[] attrs;
    private final SpecialTokens special;
    private final BitSet eog;
    private final SpecialTokenSplitter specialSplitter;
    private final boolean cleanSpaces;
    /**
     * Each token's bytes, made the first time it is asked for: a generation renders some hundreds of a
     * vocabulary's 10^5 tokens, and making them all was a tenth of a tokenizer's construction. The record's
     * final field publishes a piece safely without a lock; two threads may make the same one, alike.
     */
    private final Piece[] pieces;
    private final Function<String, byte[]> normalPiece;
    private final boolean everyPieceNormal;

    /**
     * @param normalPiece the bytes of an ordinary token's text (U+2581 back to spaces, the byte alphabet back
     *                    to bytes, ...); a pure function of the text, since it runs when a token is first
     *                    rendered, on whichever thread renders it
     */
    Tokenizer(Vocabulary vocabulary, boolean cleanSpaces, Function<String, byte[]> normalPiece) {
        this(vocabulary, cleanSpaces, normalPiece, false);
    }

    /** @param everyPieceNormal every token's piece is {@code normalPiece} of its text, whatever its type (RWKV) */
    Tokenizer(Vocabulary vocabulary, boolean cleanSpaces, Function<String, byte[]> normalPiece,
              boolean everyPieceNormal) {
        this.everyPieceNormal = everyPieceNormal;
        this.vocabulary = vocabulary;
        this.vocabSize = vocabulary.size();
        this.cleanSpaces = cleanSpaces;
        this.tokens = new TokenTable(vocabSize + vocabulary.merges().size());
        for (String t : vocabulary.tokens()) {
            tokens.intern(t);
        }
        VocabularyAnalysis analysis = new VocabularyAnalysis(vocabulary, tokens);
        this.attrs = analysis.attrs;
        this.special = analysis.special;
        this.eog = analysis.eog;
        this.specialSplitter = new SpecialTokenSplitter(analysis.specialOrder, tokens, attrs);
        this.normalPiece = normalPiece;
        this.pieces = new Piece[vocabSize];
    }

    /**
     * The tokenizer for a model file's vocabulary ({@code tokenizer.ggml.*}).
     *
     * @throws TokenizerException if the vocabulary is malformed, or its model or pre-tokenizer is not
     *                            supported
     */
    public static Tokenizer fromGguf(GgufFile gguf) {
        return fromVocabulary(GgufVocabulary.read(gguf.metadata()));
    }

    /**
     * The tokenizer for a vocabulary.
     *
     * @throws TokenizerException if its pre-tokenizer is not supported
     */
    public static Tokenizer fromVocabulary(Vocabulary vocabulary) {
        Objects.requireNonNull(vocabulary, "vocabulary");
        return switch (vocabulary.model()) {
            case SPM -> new SpmTokenizer(vocabulary);
            case BPE -> new BpeTokenizer(vocabulary, PreTokenizerType.forName(vocabulary.preTokenizer()));
            case WPM -> new WpmTokenizer(vocabulary);
            case UGM -> new UgmTokenizer(vocabulary);
            case RWKV -> new RwkvTokenizer(vocabulary);
        };
    }

    /** The {@code tokenizer.ggml.pre} names the BPE tokenizer accepts. */
    public static Set<String> supportedPreTokenizers() {
        return PreTokenizerType.names();
    }

    // ---------------------------------------------------------------- encoding

    /**
     * Tokenizes {@code text}.
     *
     * @param addSpecial   add BOS/EOS as the vocabulary asks ({@link #addsBos()}, {@link #addsEos()}; BERT:
     *                     CLS and SEP)
     * @param parseSpecial recognize control tokens written in the text ({@code <|eot_id|>}); user-defined
     *                     tokens are recognized either way
     */
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        return encodeClean(Utf8.sanitize(Objects.requireNonNull(text, "text")), addSpecial, parseSpecial);
    }

    /** As {@link #encode(String, boolean, boolean)}, from UTF-8 bytes (malformed bytes become U+FFFD). */
    public int[] encode(byte[] utf8, boolean addSpecial, boolean parseSpecial) {
        return encodeClean(Utf8.decode(Objects.requireNonNull(utf8, "utf8")), addSpecial, parseSpecial);
    }

    private int[] encodeClean(String text, boolean addSpecial, boolean parseSpecial) {
        IntList out = new IntList(Math.max(16, text.length() / 3));
        if (addSpecial) {
            beginSequence(out);
        }
        IntList frags = specialSplitter.split(text, parseSpecial);
        boolean afterSpecial = true;
        for (int f = 0; f < frags.size(); f += 2) {
            int a = frags.get(f);
            if (a >= 0) {
                encodeText(text, a, frags.get(f + 1), afterSpecial, out);
                afterSpecial = false;
            } else {
                out.add(-1 - a);
                afterSpecial = true;
            }
        }
        if (addSpecial) {
            endSequence(out);
        }
        return out.toArray();
    }

    void beginSequence(IntList out) {
        if (vocabulary.addBos()) {
            out.add(special.bos());
        }
    }

    void endSequence(IntList out) {
        if (vocabulary.addEos()) {
            out.add(special.eos());
        }
    }

    /**
     * Tokenizes {@code text[from, to)}, a piece between special tokens.
     *
     * @param afterSpecial the piece starts the text or follows a special token
     */
    abstract void encodeText(String text, int from, int to, boolean afterSpecial, IntList out);

    // ---------------------------------------------------------------- decoding

    /**
     * Token ids back to text, as llama.cpp's {@code common_detokenize(..., special = true)}: control tokens
     * are rendered, nothing is removed.
     */
    public String decode(int[] ids) {
        return decode(ids, false, true);
    }

    /**
     * Token ids back to text, as llama.cpp's {@code llama_detokenize}: pieces are concatenated; with a space
     * prefix vocabulary the first piece loses one leading space (unless it follows a removed BOS); BPE
     * vocabularies that ask for it get llama.cpp's clean-up of spaces before punctuation. Bytes that do not
     * form UTF-8 become U+FFFD.
     *
     * @param removeSpecial   drop a leading BOS and trailing EOS where the vocabulary adds them
     * @param unparseSpecial  render control and unknown tokens as their text (else as nothing)
     * @throws IllegalArgumentException if an id is outside the vocabulary
     */
    public String decode(int[] ids, boolean removeSpecial, boolean unparseSpecial) {
        return new String(decodeBytes(ids, removeSpecial, unparseSpecial), StandardCharsets.UTF_8);
    }

    /** As {@link #decode(int[], boolean, boolean)}, the raw bytes (which need not be valid UTF-8). */
    public byte[] decodeBytes(int[] ids, boolean removeSpecial, boolean unparseSpecial) {
        Objects.requireNonNull(ids, "ids");
        for (int id : ids) {
            checkId(id);
        }
        int from = 0;
        int to = ids.length;
        boolean removeSpace = vocabulary.addSpacePrefix();
        if (removeSpecial && vocabulary.addBos() && to > 0 && ids[0] == special.bos()) {
            removeSpace = false;
            from++;
        }
        if (removeSpecial && vocabulary.addEos() && to > from && ids[to - 1] == special.eos()) {
            to--;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = from; i < to; i++) {
            byte[] piece = piece(ids[i], unparseSpecial);
            int skip = removeSpace && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
            out.write(piece, skip, piece.length - skip);
            removeSpace = false;
        }
        byte[] text = out.toByteArray();
        return cleanSpaces ? SpaceCleanup.apply(text) : text;
    }

    /**
     * The bytes a token stands for, control tokens included: llama.cpp's {@code token_to_piece} with
     * {@code special = true}. A byte token gives its one byte, so a piece need not be valid UTF-8; see
     * {@link StreamingDecoder}.
     *
     * @throws IllegalArgumentException if {@code id} is outside the vocabulary
     */
    public byte[] tokenBytes(int id) {
        return tokenBytes(id, true);
    }

    /**
     * As {@link #tokenBytes(int)}; with {@code special = false}, control and unknown tokens give nothing.
     */
    public byte[] tokenBytes(int id, boolean special) {
        return piece(checkId(id), special).clone();
    }

    /** The piece as text (a lone part of a multi-byte character shows as U+FFFD). */
    public String tokenPiece(int id) {
        return new String(piece(checkId(id), true), StandardCharsets.UTF_8);
    }

    /** A decoder that turns tokens into text as they come, holding back incomplete UTF-8. */
    public StreamingDecoder streamingDecoder(boolean renderSpecial) {
        return new StreamingDecoder(this, renderSpecial);
    }

    private byte[] piece(int id, boolean renderSpecial) {
        if (!renderSpecial && (attrs[id] & (VocabularyAnalysis.ATTR_UNKNOWN | VocabularyAnalysis.ATTR_CONTROL)) != 0) {
            return EMPTY;
        }
        Piece p = pieces[id];
        if (p == null) {
            p = new Piece(makePiece(id));
            pieces[id] = p;
        }
        return p.bytes();
    }

    private record Piece(byte[] bytes) {
    }

    private static final byte[] EMPTY = new byte[0];

    private byte[] makePiece(int id) {
        int a = attrs[id];
        String text = tokens.string(id);
        if (everyPieceNormal) {
            return normalPiece.apply(text);
        } else if ((a & (VocabularyAnalysis.ATTR_UNKNOWN | VocabularyAnalysis.ATTR_CONTROL
                | VocabularyAnalysis.ATTR_USER_DEFINED)) != 0) {
            return text.getBytes(StandardCharsets.UTF_8);
        } else if ((a & VocabularyAnalysis.ATTR_NORMAL) != 0) {
            return normalPiece.apply(text);
        } else if ((a & VocabularyAnalysis.ATTR_BYTE) != 0) {
            return new byte[] {(byte) Vocabulary.byteValue(text)};
        }
        return EMPTY; // unused and undefined tokens render as nothing
    }

    // ---------------------------------------------------------------- vocabulary facts

    /** Number of tokens. */
    public int vocabSize() {
        return vocabSize;
    }

    /** The vocabulary this tokenizer was built from. */
    public Vocabulary vocabulary() {
        return vocabulary;
    }

    /** The algorithm. */
    public TokenizerModel model() {
        return vocabulary.model();
    }

    /** Special token ids, including those llama.cpp recognizes by name (EOT, FIM, ...). */
    public SpecialTokens specialTokens() {
        return special;
    }

    /** Whether {@code encode(..., addSpecial = true, ...)} prepends BOS. */
    public boolean addsBos() {
        return vocabulary.addBos();
    }

    /** Whether {@code encode(..., addSpecial = true, ...)} appends EOS. */
    public boolean addsEos() {
        return vocabulary.addEos();
    }

    /** Whether generation should stop at {@code id} (EOS, EOT, EOM and the end tokens llama.cpp knows by name). */
    public boolean isEndOfGeneration(int id) {
        return id >= 0 && id < vocabSize && eog.get(id);
    }

    /** All end-of-generation ids, ascending. */
    public int[] endOfGenerationTokens() {
        return eog.stream().toArray();
    }

    /** Whether {@code id} is a control token (after llama.cpp's corrections by name). */
    public boolean isControl(int id) {
        return (attrs[checkId(id)] & VocabularyAnalysis.ATTR_CONTROL) != 0;
    }

    /** The token's string as stored in the vocabulary (byte-level BPE alphabet, U+2581 for spaces, ...). */
    public String tokenText(int id) {
        return tokens.string(checkId(id));
    }

    /** The token's type as stored in the vocabulary. */
    public TokenType tokenType(int id) {
        return vocabulary.tokenTypes().get(checkId(id));
    }

    /** The id of the token whose stored string is exactly {@code text}, or -1. */
    public int tokenId(String text) {
        int id = tokens.get(text);
        return id < vocabSize ? id : -1;
    }

    /** The token's attributes (llama.cpp's, after its corrections by name): {@code VocabularyAnalysis.ATTR_*}. */
    final int attr(int id) {
        return attrs[id];
    }

    private int checkId(int id) {
        if (id < 0 || id >= vocabSize) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + vocabSize);
        }
        return id;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + vocabulary.model() + ", pre='" + vocabulary.preTokenizer() + "', "
                + vocabSize + " tokens]";
    }
}
