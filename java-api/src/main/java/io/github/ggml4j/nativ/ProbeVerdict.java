package io.github.ggml4j.nativ;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What the kernel probe decided for one CPU backend ({@code native}, or one variant library of a portable build):
 * whether its plain mul_mat path works, and for each extra buffer type whether it may hold weights.
 *
 * @param variant the variant name ({@code native}, {@code haswell} ...)
 * @param score   ggml's score for the variant on this CPU (0: cannot run here; -1: not reported)
 * @param usable  whether the variant's plain CPU path passed (a portable build picks only usable variants)
 * @param reason  why it is not usable, or a short note ({@code passed}, {@code not probed ...})
 * @param bufts   the variant's extra buffer types in ggml's order
 */
public record ProbeVerdict(String variant, int score, boolean usable, String reason, List<Buft> bufts) {

    public ProbeVerdict {
        Objects.requireNonNull(variant);
        Objects.requireNonNull(reason);
        bufts = List.copyOf(bufts);
        if (variant.isBlank() || clean(variant).length() != variant.length() || variant.contains(" ")) {
            throw new IllegalArgumentException("bad variant name '" + variant + "'");
        }
    }

    /**
     * One extra buffer type's verdict.
     *
     * @param name   ggml's name for it, e.g. {@code CPU_REPACK}, {@code AMX}
     * @param usable whether weights may be placed in it
     * @param reason why not (crashed / wrong result / timed out ...), or {@code passed}
     * @param types  the weight types (ggml names, e.g. {@code q4_0}) whose mul_mat passed at every probed shape
     */
    public record Buft(String name, boolean usable, String reason, Set<String> types) {
        public Buft {
            Objects.requireNonNull(name);
            Objects.requireNonNull(reason);
            types = Set.copyOf(new LinkedHashSet<>(types));
            if (name.isBlank() || name.contains(" ") || clean(name).length() != name.length()) {
                throw new IllegalArgumentException("bad buffer type name '" + name + "'");
            }
        }

        /** In {@link #types}: every type (the probe did not run; the CPU flags are trusted). */
        public static final String ANY_TYPE = "*";

        /** Whether a weight of this ggml type may go into the buffer type. */
        public boolean accepts(String type) {
            return usable && (types.contains(type) || types.contains(ANY_TYPE));
        }
    }

    /** A verdict with every extra buffer type usable for every type: what "trust the flags" means. */
    static ProbeVerdict trusted(String variant, List<String> buftNames) {
        List<Buft> b = new ArrayList<>();
        for (String n : buftNames) {
            b.add(new Buft(n, true, "not probed (probe off)", Set.of(Buft.ANY_TYPE)));
        }
        return new ProbeVerdict(variant, -1, true, "not probed (probe off)", b);
    }

    public Optional<Buft> buft(String name) {
        return bufts.stream().filter(b -> b.name().equals(name)).findFirst();
    }

    /** Tabs and line breaks would break the cache file's lines. */
    static String clean(String s) {
        return s.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }

    /** The cache file's lines for this verdict (see {@link ProbeCache}). */
    List<String> toLines() {
        List<String> lines = new ArrayList<>();
        lines.add(String.join("\t", "V", variant, Integer.toString(score), usable ? "1" : "0", clean(reason)));
        for (Buft b : bufts) {
            lines.add(String.join("\t", "B", variant, b.name(), b.usable() ? "1" : "0",
                    String.join(",", b.types().stream().sorted().toList()), clean(b.reason())));
        }
        return lines;
    }

    /** Reads verdicts written by {@link #toLines}; throws IllegalArgumentException on anything malformed. */
    static List<ProbeVerdict> fromLines(List<String> lines) {
        List<ProbeVerdict> out = new ArrayList<>();
        String variant = null;
        int score = 0;
        boolean usable = false;
        String reason = null;
        List<Buft> bufts = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split("\t", -1);
            switch (f[0]) {
                case "V" -> {
                    need(f, 5, line);
                    if (variant != null) {
                        out.add(new ProbeVerdict(variant, score, usable, reason, bufts));
                    }
                    variant = f[1];
                    score = Integer.parseInt(f[2]);
                    usable = flag(f[3], line);
                    reason = f[4];
                    bufts = new ArrayList<>();
                }
                case "B" -> {
                    need(f, 6, line);
                    if (!f[1].equals(variant)) {
                        throw new IllegalArgumentException("buffer type line outside its variant: " + line);
                    }
                    Set<String> types = new LinkedHashSet<>();
                    for (String t : f[4].split(",")) {
                        if (!t.isBlank()) {
                            types.add(t);
                        }
                    }
                    bufts.add(new Buft(f[2], flag(f[3], line), f[5], types));
                }
                default -> throw new IllegalArgumentException("unknown line: " + line);
            }
        }
        if (variant != null) {
            out.add(new ProbeVerdict(variant, score, usable, reason, bufts));
        }
        return out;
    }

    private static void need(String[] f, int n, String line) {
        if (f.length != n) {
            throw new IllegalArgumentException("expected " + n + " fields: " + line);
        }
    }

    private static boolean flag(String s, String line) {
        return switch (s) {
            case "1" -> true;
            case "0" -> false;
            default -> throw new IllegalArgumentException("bad flag '" + s + "': " + line);
        };
    }
}
