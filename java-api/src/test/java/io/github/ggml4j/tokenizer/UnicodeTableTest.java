package io.github.ggml4j.tokenizer;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The shipped tables ({@code unicode-data.bin}) equal the pinned tree's {@code unicode-data.cpp}. */
class UnicodeTableTest {

    private static String table(String src, String name) {
        int start = src.indexOf(name);
        return src.substring(src.indexOf('{', start) + 1, src.indexOf("\n};", start));
    }

    @Test
    void flagsLowercaseAndNfdMatchTheTree() throws IOException {
        String src = Files.readString(LlamaCpp.tree().resolve("src/unicode-data.cpp"));
        Pattern pair = Pattern.compile("\\{0x([0-9A-F]+), 0x([0-9A-F]+)\\}");
        Set<Integer> whitespace = new HashSet<>();
        Matcher ws = Pattern.compile("0x([0-9A-F]+)").matcher(table(src, "unicode_set_whitespace"));
        while (ws.find()) {
            whitespace.add(Integer.parseInt(ws.group(1), 16));
        }
        Matcher m = pair.matcher(table(src, "unicode_ranges_flags"));
        int prevStart = -1;
        int prevFlags = 0;
        int checked = 0;
        while (m.find()) {
            int start = Integer.parseInt(m.group(1), 16);
            int flags = Integer.parseInt(m.group(2), 16);
            for (int cp = prevStart; prevStart >= 0 && cp < start; cp++) {
                int expected = prevFlags | (whitespace.contains(cp) ? Unicode.WHITESPACE : 0);
                assertEquals(expected, Unicode.flags(cp), "flags of U+" + Integer.toHexString(cp));
                checked++;
            }
            prevStart = start;
            prevFlags = flags;
        }
        assertEquals(0x110000, checked);
        assertEquals(0, Unicode.flags(0x110000));
        assertEquals(0, Unicode.flags(-1));

        Matcher lower = pair.matcher(table(src, "unicode_map_lowercase"));
        int pairs = 0;
        while (lower.find()) {
            assertEquals(Integer.parseInt(lower.group(2), 16), Unicode.toLower(Integer.parseInt(lower.group(1), 16)));
            pairs++;
        }
        assertEquals('a', Unicode.toLower('A'));
        assertEquals('1', Unicode.toLower('1'));

        Matcher nfd = Pattern.compile("\\{0x([0-9A-F]+), 0x([0-9A-F]+), 0x([0-9A-F]+)\\}")
                .matcher(table(src, "unicode_ranges_nfd"));
        while (nfd.find()) {
            int first = Integer.parseInt(nfd.group(1), 16);
            int last = Integer.parseInt(nfd.group(2), 16);
            int to = Integer.parseInt(nfd.group(3), 16);
            assertEquals(to, Unicode.nfdFirst(first));
            assertEquals(to, Unicode.nfdFirst(last));
        }
        assertEquals('e', Unicode.nfdFirst('\u00E9'));
        assertEquals('x', Unicode.nfdFirst('x'));
        assertEquals(true, pairs > 1000);
    }

    @Test
    void byteLevelAlphabet() {
        // GPT-2: printable Latin-1 maps to itself, the rest to U+0100.. in byte order
        assertEquals('!', ByteLevel.encode('!'));
        assertEquals('\u0120', ByteLevel.encode(' '));
        assertEquals('\u010A', ByteLevel.encode('\n'));
        assertEquals('\u0100', ByteLevel.encode(0));
        assertEquals('\u0143', ByteLevel.encode(0xAD));
        for (int b = 0; b < 256; b++) {
            assertEquals(b, ByteLevel.decode(ByteLevel.encode(b)));
        }
        assertEquals(-1, ByteLevel.decode(0x144));
        assertEquals(-1, ByteLevel.decode(' '));
    }
}
