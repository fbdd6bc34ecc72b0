package io.github.ggml4j.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class StreamingDecoderTest {

    private static final String LLAMA = "\uD83E\uDD99"; // U+1F999, F0 9F A6 99

    /** llama.cpp's ids for the test vector " this is 🦙.cpp", streamed one by one. */
    private static List<String> stream(String vocab) {
        Tokenizer t = LlamaCpp.tokenizer(vocab);
        int[] ids = LlamaCpp.vectors(vocab).get(" this is " + LLAMA + ".cpp");
        StreamingDecoder d = t.streamingDecoder(false);
        List<String> out = new ArrayList<>();
        for (int id : ids) {
            out.add(d.next(id));
        }
        assertEquals(0, d.pendingBytes());
        assertEquals("", d.finish());
        return out;
    }

    @Test
    void spmByteTokensAreHeldBackUntilTheCharacterIsComplete() {
        // the vector spells the llama as four byte tokens <0xF0> <0x9F> <0xA6> <0x99>
        Tokenizer t = LlamaCpp.tokenizer("llama-spm");
        assertArrayEquals(new byte[] {(byte) 0xF0}, t.tokenBytes(t.tokenId("<0xF0>")));
        int[] ids = LlamaCpp.vectors("llama-spm").get(" this is " + LLAMA + ".cpp");
        int at = java.util.stream.IntStream.range(0, ids.length).filter(i -> ids[i] == t.tokenId("<0xF0>"))
                .findFirst().orElseThrow();
        List<String> out = stream("llama-spm");
        assertEquals(List.of("", "", "", LLAMA), out.subList(at, at + 4));
        // pieces keep the space SPM encoding prefixed; only decode() drops it
        assertEquals("  this is " + LLAMA + ".cpp", String.join("", out));
        for (String piece : out) {
            assertFalse(piece.contains("\uFFFD"), piece);
        }
    }

    @Test
    void byteLevelBpeSplitsTheCharacterAcrossTokens() {
        List<String> out = stream("llama-bpe");
        assertEquals(" this is " + LLAMA + ".cpp", String.join("", out));
        // " \xF0\x9F" | "\xA6" | "\x99": the space comes out at once, the llama with the last token
        int at = out.indexOf(LLAMA);
        assertEquals(List.of(" ", "", LLAMA), out.subList(at - 2, at + 1), out.toString());
    }

    @Test
    void badBytesBecomeReplacementCharacters() {
        StreamingDecoder d = LlamaCpp.tokenizer("llama-spm").streamingDecoder(false);
        assertEquals("", d.nextBytes(new byte[] {(byte) 0xF0, (byte) 0x9F}));
        assertEquals(2, d.pendingBytes());
        assertEquals("\uFFFD\uFFFDa", d.nextBytes(new byte[] {'a'}));       // cut short: each held byte is bad
        assertEquals("\uFFFD", d.nextBytes(new byte[] {(byte) 0x80}));      // a stray continuation byte
        assertEquals("", d.nextBytes(new byte[] {(byte) 0xE2, (byte) 0x82}));
        assertEquals("\uFFFD\uFFFD", d.finish());                            // the end of the stream cuts it short
        assertEquals("\u20AC", d.nextBytes(new byte[] {(byte) 0xE2, (byte) 0x82, (byte) 0xAC}));
    }

    @Test
    void controlTokensAreRenderedOnlyWhenAsked() {
        Tokenizer t = LlamaCpp.tokenizer("llama-bpe");
        int eot = t.tokenId("<|eot_id|>");
        assertEquals("", t.streamingDecoder(false).next(eot));
        assertEquals("<|eot_id|>", t.streamingDecoder(true).next(eot));
        assertThrows(IllegalArgumentException.class, () -> t.streamingDecoder(true).next(t.vocabSize()));
    }

    @Test
    void piecesAreValidUtf8WheneverTheTokensAre() {
        Tokenizer t = LlamaCpp.tokenizer("qwen2");
        String text = "Grüße, 世界! 🦙🚀 naïve";
        int[] ids = t.encode(text, false, false);
        StreamingDecoder d = t.streamingDecoder(false);
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            String s = d.next(id);
            assertArrayEquals(s.getBytes(StandardCharsets.UTF_8), new String(s.getBytes(StandardCharsets.UTF_8),
                    StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8));
            assertFalse(s.contains("\uFFFD"));
            sb.append(s);
        }
        assertEquals(text, sb.append(d.finish()).toString());
    }
}
