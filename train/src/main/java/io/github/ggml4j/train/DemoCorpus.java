package io.github.ggml4j.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The demo model's training text: the fortune cookies of Debian's {@code fortunes} package (BSD licence,
 * {@code /usr/share/games/fortunes}), cleaned of terminal overstriking, shuffled with a fixed seed and joined
 * with the end-of-text token, so the model learns where a fortune ends.
 *
 * {@snippet :
 * List<String> fortunes = DemoCorpus.read(Path.of("/usr/share/games/fortunes"));
 * String text = DemoCorpus.join(DemoCorpus.shuffle(fortunes));  // "<|begin|>fortune<|end|><|begin|>..."
 * }
 */
public final class DemoCorpus {

    /** The beginning-of-text token (the model's BOS): every fortune starts with it, as every prompt does. */
    public static final String BEGIN = "<|begin|>";

    /** The end-of-text token (the model's EOS); a user-defined token, matched in plain text by tokenizers. */
    public static final String END = "<|end|>";

    /** Files of the package left out: pictures drawn in characters, and a stub asking for translations. */
    private static final List<String> SKIPPED = List.of("ascii-art", "translate-me");

    private static final int MAX_CHARS = 800;

    private DemoCorpus() {
    }

    /** Every fortune of every file in {@code dir} (files with a {@code .dat} index), in file then text order. */
    public static List<String> read(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> !p.getFileName().toString().contains("."))
                    .filter(p -> Files.isRegularFile(p.resolveSibling(p.getFileName() + ".dat")))
                    .filter(p -> !SKIPPED.contains(p.getFileName().toString()))
                    .sorted()
                    .toList();
        }
        if (files.isEmpty()) {
            throw new IOException("no fortune files in " + dir + " (apt-get install fortunes)");
        }
        List<String> out = new ArrayList<>();
        for (Path f : files) {
            String text = new String(Files.readAllBytes(f), StandardCharsets.UTF_8);
            StringBuilder piece = new StringBuilder();
            for (String line : text.split("\n", -1)) {
                if (line.equals("%")) { // the separator line
                    add(out, piece);
                } else {
                    piece.append(line).append('\n');
                }
            }
            add(out, piece);
        }
        return out;
    }

    private static void add(List<String> out, StringBuilder piece) {
        String clean = clean(piece.toString());
        if (!clean.isEmpty() && clean.length() <= MAX_CHARS) {
            out.add(clean);
        }
        piece.setLength(0);
    }

    /** Drops overstriking ("_\bX" underlines, "X\bX" bold) and other control characters but tab and newline. */
    static String clean(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\b') {
                if (!b.isEmpty()) {
                    b.setLength(b.length() - 1);
                }
            } else if (c == '\n' || c == '\t' || c >= 0x20 && c != 0x7F) {
                b.append(c);
            }
        }
        String t = b.toString().strip();
        return t.equals("%") ? "" : t;
    }

    /** The fortunes shuffled with a fixed seed. */
    public static List<String> shuffle(List<String> fortunes) {
        List<String> shuffled = new ArrayList<>(fortunes);
        Collections.shuffle(shuffled, new Random(20261202L));
        return shuffled;
    }

    /** The fortunes in order, each between {@link #BEGIN} and {@link #END}. */
    public static String join(List<String> fortunes) {
        StringBuilder b = new StringBuilder();
        for (String f : fortunes) {
            b.append(BEGIN).append(f).append(END);
        }
        return b.toString();
    }
}
