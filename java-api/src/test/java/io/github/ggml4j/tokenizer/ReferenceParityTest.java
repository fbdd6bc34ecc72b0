package io.github.ggml4j.tokenizer;

import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufValue;
import io.github.ggml4j.gguf.GgufWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parity with llama.cpp's own binaries built from the pinned tree ({@code llama-tokenize},
 * {@code test-tokenizer-0}) on text beyond the test vectors. A build without them fails this test.
 */
class ReferenceParityTest {

    /** The vectors' vocabularies plus those in the tree without vectors that ggml4j supports. */
    static final List<String> VOCABS;

    static {
        List<String> v = new ArrayList<>(LlamaCpp.VECTOR_VOCABS);
        v.addAll(List.of("aquila", "baichuan", "gpt-neox", "nomic-bert-moe"));
        VOCABS = List.copyOf(v);
    }

    /** Also compared with special tokens not parsed (phi-3: rstrip flags; bert: [UNK] handling). */
    static final java.util.Set<String> NO_PARSE_SPECIAL = java.util.Set.of("phi-3", "llama-bpe", "bert-bge", "nomic-bert-moe");

    /** Multilingual text, emoji, code and whitespace runs; the separator between them is a control token. */
    static final List<String> TEXTS = List.of(
            "Hello world", " Hello  world  ", "\t\tindented\n\n\n  code",
            "I'm you're we've they'll she'd it's I'M YOU'RE WE'VE THEY'LL SHE'D IT'S 'S 'sT",
            "3.14159 1234567890 12345 ١٢٣٤٥ ๑๒๓ ²³ ½ Ⅻ", "naïve café résumé Ångström ñ ß Œ œ İ ı",
            "Привет, мир! Как дела?", "Γειά σου Κόσμε", "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया",
            "สวัสดีชาวโลก", "你好，世界！我爱北京天安门。", "こんにちは世界、カタカナ ﾊﾝｶｸ", "안녕하세요 세계",
            "🦙🚀😶‍🌫️👨‍👩‍👧‍👦 ✅ 🇺🇸 🏳️‍🌈 ❤️", "e\u0301 a\u0308 o\u0302\u0323 Z\u0335\u0321\u0322 \u0915\u094D\u0937",
            "def f(x):\n    return x**2  # comment\n\tif x: pass\r\n",
            "<html><body class=\"a\">&amp; &lt;div&gt;</body></html>",
            "   \n   \n\n\t \t\r\n\r\r\n \u00a0 \u3000 \u2028 \u2029 \u0085 \u200b \ufeff \u180e",
            "a".repeat(70), " ".repeat(40) + "x", "\n".repeat(30), "\t".repeat(9) + "}",
            "The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX!!! ...??? ,,,",
            "x = [1, 2, 3]; y = {'a': 1, \"b\": 2}; z = a->b && c || !d; // done",
            "$100 + €50 = ¥1000 ± 5% ≈ ∞ ∑ ∫ √ ≠ ≤ ≥", "https://example.com/path?q=1&r=2#frag a.b@c.de",
            "\u0001 \u001f \u007f \u0080 \u009f \ue000\uf8ff \udb80\udc00 \u0378 \uffff",
            "ＡＢＣ ａｂｃ １２３ ！＂＃", "ǅ ǈ ǋ ǲ ᾈ ῼ ℌ ℍ ℎ ℏ 𝐀𝐁𝐂 𝒜 𝔄", "ﬁ ﬂ ﬀ ‘quoted’ “double” «guillemets» „low“",
            "— – - ‐ ‑ ‒ ― … ' ' '' ' '", "Dr. Smith's dog's bone; the dogs' bones", "word\rword\r",
            "<sentinel:12> IMGIMGABCDZ IMGIMGAZ IMGIMGABCDEZ    four  two", "end with space ");

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timeout: " + command);
        assertEquals(0, p.exitValue(), "failed: " + command);
        return new String(out, StandardCharsets.UTF_8);
    }

    private static int[] llamaTokenize(String vocab, byte[] input, Path dir, boolean parseSpecial)
            throws IOException, InterruptedException {
        return llamaTokenize(LlamaCpp.vocab(vocab), input, dir, parseSpecial);
    }

    private static int[] llamaTokenize(Path vocab, byte[] input, Path dir, boolean parseSpecial)
            throws IOException, InterruptedException {
        Path file = Files.createTempFile(dir, "input", ".txt");
        Files.write(file, input);
        List<String> cmd = new ArrayList<>(List.of(LlamaCpp.referenceBin().orElseThrow().resolve("llama-tokenize").toString(),
                "-m", vocab.toString(), "-f", file.toString(),
                "--no-escape", "--ids", "--log-disable", "--no-bos"));
        if (!parseSpecial) {
            cmd.add("--no-parse-special");
        }
        String out = run(cmd).strip();
        assertTrue(out.startsWith("[") && out.endsWith("]"), out);
        String body = out.substring(1, out.length() - 1).strip();
        return body.isEmpty() ? new int[0] : Arrays.stream(body.split(",\\s*")).mapToInt(Integer::parseInt).toArray();
    }

    /** A control token to keep the texts apart. */
    private static String separator(Tokenizer t) {
        if (t.model() == TokenizerModel.WPM) {
            return t.tokenText(t.specialTokens().sep());
        }
        int eos = t.specialTokens().eos();
        if (eos >= 0 && t.isControl(eos)) {
            return t.tokenText(eos);
        }
        for (int i = 0; i < t.vocabSize(); i++) {
            if (t.isControl(i)) {
                return t.tokenText(i);
            }
        }
        throw new AssertionError("no control token");
    }

    @BeforeAll
    static void needsReferenceBinaries() {
        assertTrue(LlamaCpp.referenceBin().isPresent(),
                "llama.cpp reference binaries not built (the default build has them; GGML4J_REFERENCE=ON)");
    }

    /**
     * One input per vocabulary: the texts above between control tokens, then text and special tokens
     * (control, user-defined, unknown) mixed with whitespace, then, except for SPM (whose llama.cpp
     * tokenizer turns bad bytes into byte tokens) and UGM (whose normalizer reads raw bytes), malformed UTF-8. Parsed with special tokens, and for
     * some vocabularies also without.
     */
    @ParameterizedTest(name = "{0}")
    @FieldSource("VOCABS")
    void encodesLikeLlamaTokenize(String vocab, @TempDir Path dir) throws Exception {
        Tokenizer t = LlamaCpp.tokenizer(vocab);
        java.io.ByteArrayOutputStream input = new java.io.ByteArrayOutputStream();
        String sep = separator(t);
        input.writeBytes(String.join(sep, TEXTS).getBytes(StandardCharsets.UTF_8));
        input.writeBytes(sep.getBytes(StandardCharsets.UTF_8));
        input.writeBytes(withSpecialTokens(t).getBytes(StandardCharsets.UTF_8));
        if (t.model() != TokenizerModel.SPM && t.model() != TokenizerModel.UGM) {
            input.writeBytes(MALFORMED);
        }
        byte[] bytes = input.toByteArray();
        assertArrayEquals(llamaTokenize(vocab, bytes, dir, true), t.encode(bytes, false, true), "parse_special");
        if (NO_PARSE_SPECIAL.contains(vocab)) {
            assertArrayEquals(llamaTokenize(vocab, bytes, dir, false), t.encode(bytes, false, false),
                    "no parse_special");
        }
    }

    /** Truncated and stray sequences, invalid bytes, and good characters between them. */
    private static final byte[] MALFORMED = {'a', (byte) 0xE2, (byte) 0x82, 'b', ' ', (byte) 0x80, (byte) 0xBF, ' ',
        (byte) 0xF0, (byte) 0x9F, (byte) 0xA6, ' ', (byte) 0xFF, (byte) 0xFE, 'x', (byte) 0xC3, ' ', (byte) 0xC3,
        (byte) 0xA9, (byte) 0xE2, (byte) 0x82, (byte) 0xAC, (byte) 0xF0, (byte) 0x9F, (byte) 0xA6, (byte) 0x99,
        (byte) 0xE2};

    private static String withSpecialTokens(Tokenizer t) {
        List<String> specials = new ArrayList<>();
        for (int i = 0; i < t.vocabSize(); i++) {
            if (t.isControl(i) || t.tokenType(i) == TokenType.USER_DEFINED || t.tokenType(i) == TokenType.UNKNOWN) {
                specials.add(t.tokenText(i));
            }
        }
        java.util.Random r = new java.util.Random(7);
        String[] ws = {"", " ", "  ", "\n", " \n ", "\t"};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            if (r.nextInt(3) == 0) {
                sb.append(ws[r.nextInt(ws.length)]).append(specials.get(r.nextInt(specials.size())))
                        .append(ws[r.nextInt(ws.length)]);
            } else {
                String s = TEXTS.get(r.nextInt(TEXTS.size()));
                int cut = Math.min(s.length(), 1 + r.nextInt(20));
                sb.append(s, 0, Character.isHighSurrogate(s.charAt(cut - 1)) ? cut - 1 : cut);
            }
        }
        return sb.toString();
    }

    /** One pre-tokenizer of each family that has no test vocabulary in the tree. */
    static final List<String> OTHER_PRE_TOKENIZERS = List.of("deepseek-v3", "spark2_5", "poro-chat", "viking",
            "chameleon", "bailingmoe", "seed-coder", "ufakzeka", "minicpm5", "laguna", "chatglm-bpe");

    /**
     * Pre-tokenizers without a test vocabulary, checked on GPT-2's vocabulary relabelled with their name:
     * llama.cpp then splits with their patterns and merges with GPT-2's ranks, and so must ggml4j.
     */
    @ParameterizedTest(name = "{0}")
    @FieldSource("OTHER_PRE_TOKENIZERS")
    void preTokenizersWithoutVocabularyLikeLlamaTokenize(String pre, @TempDir Path dir) throws Exception {
        Path relabelled = dir.resolve("gpt-2-" + pre + ".gguf");
        try (GgufFile src = GgufFile.open(LlamaCpp.vocab("gpt-2"))) {
            GgufWriter.copyOf(src).set("tokenizer.ggml.pre", new GgufValue.Str(pre)).write(relabelled);
        }
        Tokenizer t;
        try (GgufFile f = GgufFile.open(relabelled)) {
            t = Tokenizer.fromGguf(f);
        }
        String text = String.join(separator(t), TEXTS);
        assertArrayEquals(llamaTokenize(relabelled, text.getBytes(StandardCharsets.UTF_8), dir, true),
                t.encode(text, false, true));
    }

    /** One vocabulary per detokenizer path (SPM, byte-level BPE with and without space clean-up, Gemma 4, BERT). */
    static final List<String> DECODE_VOCABS = List.of("llama-spm", "phi-3", "llama-bpe", "gpt-2", "qwen2",
            "deepseek-llm", "command-r", "gemma-4", "bert-bge");

    /** {@code test-tokenizer-0} prints llama.cpp's detokenization of every vector; decoding must agree. */
    @ParameterizedTest(name = "{0}")
    @FieldSource("DECODE_VOCABS")
    void decodesLikeLlamaCpp(String vocab) throws Exception {
        String out = run(List.of(LlamaCpp.referenceBin().orElseThrow().resolve("test-tokenizer-0").toString(),
                LlamaCpp.vocab(vocab).toString()));
        Tokenizer t = LlamaCpp.tokenizer(vocab);
        int checked = 0;
        for (int pos = out.indexOf("\nsrc: '"); pos >= 0; pos = out.indexOf("\nsrc: '", pos + 1)) {
            int res = out.indexOf("'\nres: '", pos);
            int tok = out.indexOf("'\ntok: ", res);
            int eol = out.indexOf('\n', tok + 7);
            String detokenized = out.substring(res + 8, tok);
            String line = out.substring(tok + 7, eol).strip();
            int[] ids = line.isEmpty() ? new int[0] : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray();
            assertEquals(detokenized, t.decode(ids), vocab + " " + line);
            checked++;
        }
        assertEquals(LlamaCpp.vectors(vocab).size(), checked, "vectors in test-tokenizer-0's output");
    }
}
