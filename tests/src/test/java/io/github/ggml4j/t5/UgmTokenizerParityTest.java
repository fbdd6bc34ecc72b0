package io.github.ggml4j.t5;

import io.github.ggml4j.cli.ReferenceTool;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.testing.SyntheticUgm;
import io.github.ggml4j.tokenizer.Tokenizer;
import io.github.ggml4j.tokenizer.TokenizerModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Unigram (T5) tokenizer against llama.cpp's {@code llama-tokenize} on synthetic UGM vocabularies
 * ({@link SyntheticUgm}: llama-spm's pieces with log-probability scores), with each combination of the space
 * prefix, extra-whitespace removal and a precompiled charsmap, on varied text: scripts, emoji, digits,
 * whitespace runs, characters no piece covers, user-defined pieces and control tokens.
 */
class UgmTokenizerParityTest {

    static final List<String> TEXTS = List.of(
            "Hello world", " Hello  world  ", "\t\tindented\n\n\n  code", "   leading and trailing   ",
            "I'm you're we've they'll 'S 'sT", "3.14159 1234567890 ١٢٣٤٥ ๑๒๓ ²³ ½ Ⅻ",
            "naïve café résumé Ångström ñ ß Œ œ İ ı", "Привет, мир! Как дела?", "Γειά σου Κόσμε",
            "مرحبا بالعالم", "नमस्ते दुनिया", "你好，世界！我爱北京天安门。", "こんにちは世界、カタカナ ﾊﾝｶｸ",
            "🦙🚀😶‍🌫️👨‍👩‍👧‍👦 ✅ 🇺🇸 ❤️", "e\u0301 a\u0308 o\u0302\u0323 \u0915\u094D\u0937",
            "def f(x):\n    return x**2  # comment\r\n", "<html><body class=\"a\">&amp;</body></html>",
            "   \n \u00a0 \u3000 \u2028 \u200b \ufeff x", "a".repeat(70), " ".repeat(40) + "x",
            "ﬁne ﬂow ＡＢＣ ａｂｃ １２３ … ab abc abd abcabc", "Ǆemal singing station the thetheory",
            "$100 + €50 = ¥1000 ± 5% ≈ ∞ ∑ √", "https://example.com/path?q=1&r=2#frag",
            "\u0001 \u001f \u007f \u0080 \ue000\uf8ff \udb80\udc00 \u0378 \uffff", "ǅ ᾈ ℌ 𝐀𝐁𝐂 𝒜 𝔄", "end with space ");

    static Stream<Arguments> vocabularies() {
        List<Arguments> a = new ArrayList<>();
        for (boolean prefix : new boolean[] {true, false}) {
            for (boolean merge : new boolean[] {false, true}) {
                for (boolean charsmap : new boolean[] {false, true}) {
                    a.add(Arguments.of(new SyntheticUgm(prefix, merge, charsmap)));
                }
            }
        }
        return a.stream();
    }

    static int[] llamaTokenize(Path vocab, byte[] input, Path dir, boolean parseSpecial) throws Exception {
        Path file = Files.createTempFile(dir, "input", ".txt");
        Files.write(file, input);
        List<String> args = new ArrayList<>(List.of("-m", vocab.toString(), "-f", file.toString(),
                "--no-escape", "--ids", "--log-disable", "--no-bos"));
        if (!parseSpecial) {
            args.add("--no-parse-special");
        }
        String out = ReferenceTool.check(120, "llama-tokenize", args.toArray(String[]::new)).text().strip();
        assertTrue(out.startsWith("[") && out.endsWith("]"), out);
        String body = out.substring(1, out.length() - 1).strip();
        return body.isEmpty() ? new int[0] : Arrays.stream(body.split(",\\s*")).mapToInt(Integer::parseInt).toArray();
    }

    static Tokenizer tokenizer(Path file) {
        try (GgufFile f = GgufFile.open(file)) {
            return Tokenizer.fromGguf(f);
        }
    }

    /**
     * All texts between control tokens, then random mixes with special pieces: one run each way. (Malformed UTF-8
     * is left out: ggml4j makes it well-formed before any tokenizer sees it, llama.cpp's UGM reads the raw bytes.)
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("vocabularies")
    void encodesLikeLlamaTokenize(SyntheticUgm spec, @TempDir Path dir) throws Exception {
        Path file = spec.cached();
        Tokenizer t = tokenizer(file);
        assertEquals(TokenizerModel.UGM, t.model());
        ByteArrayOutputStream input = new ByteArrayOutputStream();
        input.writeBytes(String.join("</s>", TEXTS).getBytes(StandardCharsets.UTF_8));
        input.writeBytes(mixed(new Random(11)).getBytes(StandardCharsets.UTF_8));
        byte[] bytes = input.toByteArray();
        assertSame(t, llamaTokenize(file, bytes, dir, true), t.encode(bytes, false, true), "parse_special");
        assertSame(t, llamaTokenize(file, bytes, dir, false), t.encode(bytes, false, false), "no parse_special");
    }

    /** Equal ids, or a message showing the first difference with the tokens around it. */
    static void assertSame(Tokenizer t, int[] want, int[] got, String what) {
        int i = 0;
        while (i < want.length && i < got.length && want[i] == got[i]) {
            i++;
        }
        if (i == want.length && i == got.length) {
            return;
        }
        int from = Math.max(0, i - 6);
        StringBuilder sb = new StringBuilder(what + ": first difference at " + i + "\n llama.cpp:");
        for (int k = from; k < Math.min(want.length, i + 6); k++) {
            sb.append(' ').append(want[k]).append('\'').append(t.tokenText(want[k])).append('\'');
        }
        sb.append("\n ggml4j:   ");
        for (int k = from; k < Math.min(got.length, i + 6); k++) {
            sb.append(' ').append(got[k]).append('\'').append(t.tokenText(got[k])).append('\'');
        }
        throw new AssertionError(sb.toString());
    }

    /**
     * Each text on its own with special tokens: llama-tokenize adds them only where the model adds BOS, which T5
     * does not, so its ids are the text's and ggml4j must add the file's EOS after them (T5 appends EOS).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("vocabularies")
    void eachTextAloneWithSpecialTokensLikeLlamaTokenize(SyntheticUgm spec, @TempDir Path dir) throws Exception {
        Path file = spec.cached();
        Tokenizer t = tokenizer(file);
        assertTrue(t.addsEos() && !t.addsBos());
        int eos;
        try (GgufFile f = GgufFile.open(file)) {
            eos = (int) f.metadata().getLong("tokenizer.ggml.eos_token_id");
        }
        for (String text : TEXTS.subList(0, 8)) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            Path in = Files.createTempFile(dir, "input", ".txt");
            Files.write(in, bytes);
            String out = ReferenceTool.check(120, "llama-tokenize", "-m", file.toString(), "-f", in.toString(),
                    "--no-escape", "--ids", "--log-disable", "--no-parse-special").text().strip();
            String body = out.substring(1, out.length() - 1).strip();
            int[] want = body.isEmpty() ? new int[0]
                    : Arrays.stream(body.split(",\\s*")).mapToInt(Integer::parseInt).toArray();
            int[] withEos = Arrays.copyOf(want, want.length + 1);
            withEos[want.length] = eos;
            assertArrayEquals(withEos, t.encode(text, true, false), text);
        }
    }

    @Test
    void decodesBackToTheNormalizedText() {
        Tokenizer t = tokenizer(new SyntheticUgm(true, false, false).cached());
        String text = "Hello world, a quick brown fox";
        assertEquals(text, t.decode(t.encode(text, false, false), false, true));
    }

    /**
     * The charsmap's rules are applied: a ligature, full-width letters and a fraction normalize away. (Not a
     * character starting with byte E2: llama.cpp first matches input bytes along the user-defined pieces' trie,
     * even part of a path, and "\u2581the" starts with E2, so such a character reaches no rule; ggml4j does the same.)
     */
    @Test
    void theCharsmapNormalizes() {
        Tokenizer with = tokenizer(new SyntheticUgm(true, false, true).cached());
        Tokenizer without = tokenizer(new SyntheticUgm(true, false, false).cached());
        String raw = "\uFB01ne \uFF21\uFF41 x\u00BDy";
        String plain = "fine Aa x1/2y";
        assertArrayEquals(with.encode(plain, false, false), with.encode(raw, false, false));
        assertTrue(!Arrays.equals(without.encode(plain, false, false), without.encode(raw, false, false)));
    }

    private static String mixed(Random r) {
        String[] specials = {"</s>", "<s>", "<unk>", "ing", "tion", "\u2581the"};
        String[] ws = {"", " ", "  ", "\n", " \n ", "\t"};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 150; i++) {
            if (r.nextInt(3) == 0) {
                sb.append(ws[r.nextInt(ws.length)]).append(specials[r.nextInt(specials.length)])
                        .append(ws[r.nextInt(ws.length)]);
            } else {
                String s = TEXTS.get(r.nextInt(TEXTS.size()));
                int cut = Math.min(s.length(), 1 + r.nextInt(20));
                sb.append(s, 0, Character.isHighSurrogate(s.charAt(cut - 1)) ? cut - 1 : cut);
            }
        }
        return sb.toString();
    }
}
