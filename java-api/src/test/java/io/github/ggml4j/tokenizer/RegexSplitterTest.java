package io.github.ggml4j.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The class-table shortcut of {@link RegexSplitter} gives the same pieces as {@link java.util.regex.Pattern}
 * running the same pattern, for every such pattern of the supported pre-tokenizers.
 */
class RegexSplitterTest {

    private static List<RegexSplitter> regexStages() {
        Set<String> seen = new LinkedHashSet<>();
        List<RegexSplitter> out = new ArrayList<>();
        for (PreTokenizerType t : PreTokenizerType.values()) {
            for (Splitter s : t.stages()) {
                if (s instanceof RegexSplitter r && seen.add(r.source())) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    private static int[] randomText(Random r, int n) {
        int[][] ranges = {{0x20, 0x7E}, {0x09, 0x0D}, {0xA0, 0x2FF}, {0x370, 0x52F}, {0x2000, 0x206F}, {0x3000, 0x30FF},
            {0x4E00, 0x4F00}, {0xAC00, 0xAD00}, {0xFF00, 0xFFEF}, {0x10400, 0x1044F}, {0x1E900, 0x1E94F}, {0x1F300, 0x1F3FF}};
        int[] cps = new int[n];
        for (int i = 0; i < n; i++) {
            int[] range = ranges[r.nextInt(ranges.length)];
            cps[i] = range[0] + r.nextInt(range[1] - range[0] + 1);
        }
        return cps;
    }

    @Test
    void classTableAgreesWithPattern() {
        List<RegexSplitter> stages = regexStages();
        assertTrue(stages.stream().filter(RegexSplitter::usesClassTable).count() >= 8, "shortcut in use");
        Random r = new Random(11);
        for (RegexSplitter fast : stages) {
            if (!fast.usesClassTable()) {
                continue;
            }
            RegexSplitter slow = new RegexSplitter(fast.source(), false);
            assertFalse(slow.usesClassTable());
            for (int round = 0; round < 20; round++) {
                int[] cps = randomText(r, 2000);
                IntList segments = new IntList();
                for (int left = cps.length; left > 0; ) {
                    int len = Math.min(left, 1 + r.nextInt(300));
                    segments.add(len);
                    left -= len;
                }
                IntList a = new IntList();
                IntList b = new IntList();
                fast.split(cps, segments, a);
                slow.split(cps, segments, b);
                assertEquals(java.util.Arrays.toString(b.toArray()), java.util.Arrays.toString(a.toArray()), fast.source());
            }
        }
    }

    @Test
    void charClassMembershipAgreesWithPatternOnTheWholeBmp() {
        for (String body : new String[] {"\r\n", "^\\s\u00D2A-Za-z\u00D10-9", "\u00D3!-#%-*,-/:-;?-@\\[-\\]_\\{\\}\\$\\+<=>\\^~\\|",
            "!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002", "\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF"}) {
            CharClass c = CharClass.parse(body);
            java.util.regex.Pattern p = java.util.regex.Pattern.compile("[" + body + "]");
            for (int cp = 0; cp < 0x10000; cp++) {
                if (Character.isSurrogate((char) cp)) {
                    continue;
                }
                assertEquals(p.matcher(Character.toString(cp)).matches(), c.contains(cp),
                        body + " U+" + Integer.toHexString(cp));
            }
        }
    }
}
