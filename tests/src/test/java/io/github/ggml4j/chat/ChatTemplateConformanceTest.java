package io.github.ggml4j.chat;

import io.github.ggml4j.ChatTemplateException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every chat template of the pinned llama.cpp tree ({@code models/templates/*.jinja}), rendered for a fixed set of
 * conversations with and without {@code add_generation_prompt}, byte for byte against llama.cpp's own engine.
 */
class ChatTemplateConformanceTest {

    private static final String BOS = "<s>";
    private static final String EOS = "</s>";

    @Test
    void everyPinnedTemplateRendersAsLlamaCppDoes() throws IOException {
        List<Path> templates;
        try (Stream<Path> s = Files.list(LlamaCppChat.templatesDir())) {
            templates = s.filter(p -> p.toString().endsWith(".jinja")).sorted().toList();
        }
        assertTrue(templates.size() >= 70, "expected the pinned tree's 70 templates, found " + templates.size());
        int renders = 0;
        int identical = 0;
        int bothRefused = 0;
        Map<String, String> mismatches = new TreeMap<>();
        int templatesAllMatch = 0;
        for (Path template : templates) {
            String source = Files.readString(template);
            ChatTemplate ours = ChatTemplate.of(source, BOS, EOS, TemplateLimits.DEFAULT);
            boolean all = true;
            for (var conv : new TreeMap<>(LlamaCppChat.conversations()).entrySet()) {
                for (boolean gen : new boolean[] {true, false}) {
                    renders++;
                    LlamaCppChat.Rendered ref = LlamaCppChat.render(template, conv.getValue(), BOS, EOS, gen);
                    String mine = null;
                    String myError = null;
                    try {
                        mine = ours.render(conv.getValue(), gen);
                    } catch (ChatTemplateException e) {
                        myError = e.getMessage();
                    }
                    String key = template.getFileName() + " [" + conv.getKey() + (gen ? ", gen" : "") + "]";
                    if (ref.ok() && ref.text().equals(mine)) {
                        identical++;
                    } else if (!ref.ok() && myError != null) {
                        bothRefused++;
                    } else {
                        all = false;
                        mismatches.put(key, ref.ok() ? (myError != null ? "ggml4j refused: " + myError
                                : "differs at char " + firstDifference(ref.text(), mine) + "\n  llama.cpp: "
                                + excerpt(ref.text(), firstDifference(ref.text(), mine)) + "\n  ggml4j:    "
                                + excerpt(mine, firstDifference(ref.text(), mine)))
                                : "llama.cpp refused (" + ref.error() + ") but ggml4j rendered");
                    }
                }
            }
            if (all) {
                templatesAllMatch++;
            }
        }
        System.out.printf("chat-template conformance: %d/%d templates match llama.cpp in every case; %d/%d renders "
                        + "byte-identical, %d refused by both%n", templatesAllMatch, templates.size(), identical,
                renders, bothRefused);
        List<String> lines = new ArrayList<>();
        mismatches.forEach((k, v) -> lines.add(k + ": " + v));
        lines.forEach(System.out::println);
        assertEquals(List.of(), lines, "renders that differ from llama.cpp's");
    }

    private static int firstDifference(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            if (a.charAt(i) != b.charAt(i)) {
                return i;
            }
        }
        return n;
    }

    private static String excerpt(String s, int at) {
        int from = Math.max(0, at - 30);
        int to = Math.min(s.length(), at + 50);
        return LlamaCppChat.quote(s.substring(from, to));
    }
}
