package io.github.ggml4j.nativ;

import io.github.ggml4j.Ggml4j;
import io.github.ggml4j.Ggml4jInfo;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Main class that {@link KernelProbeChildJvmTest} runs in child JVMs (the probe's verdict is decided once per
 * JVM). Prints {@code key=value} lines on stdout.
 *
 * <ul>
 *   <li>{@code state}: the kernel probe's verdicts as {@code Ggml4j.info()} reports them: {@code probe=HOW} and
 *       one {@code buft.NAME=usable|disabled;REASON;TYPES} line per extra buffer type.</li>
 *   <li>{@code generate FILE N [norepack]}: loads the model (extra buffer types named by the system property
 *       {@code ggml4j.test.disable} switched off through ModelOptions), prints {@code placement=} and the
 *       {@code tokens=} of N greedy steps.</li>
 * </ul>
 */
public final class ProbeChild {

    static final int[] PROMPT = {1, 450, 4996, 17354, 1701, 29916};

    private ProbeChild() {
    }

    public static void main(String[] args) {
        switch (args[0]) {
            case "state" -> state();
            case "generate" -> generate(Path.of(args[1]), Integer.parseInt(args[2]),
                    args.length > 3 && args[3].equals("norepack"));
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.out.flush();
    }

    private static void state() {
        Ggml4jInfo info = Ggml4j.info();
        System.out.println("probe=" + info.probe());
        for (Ggml4jInfo.BufferType b : info.cpuBufferTypes()) {
            System.out.println("buft." + b.name() + "=" + (b.usable() ? "usable" : "disabled") + ";" + b.reason() + ";"
                    + String.join(",", b.weightTypes()));
        }
        System.out.println("bufts=" + info.cpuBufferTypes().stream().map(Ggml4jInfo.BufferType::name)
                .collect(Collectors.joining(",")));
    }

    private static void generate(Path file, int n, boolean noRepack) {
        String disable = System.getProperty("ggml4j.test.disable", "");
        Set<String> off = disable.isBlank() ? Set.of() : Set.of(disable.split(","));
        ModelOptions opts = ModelOptions.defaults().withRepack(!noRepack).withDisabledBufferTypes(off);
        System.out.println("starting=" + file);
        System.out.flush();
        try (Model m = Model.load(file, opts); Session s = m.newSession()) {
            System.out.println("placement=" + String.join(";", m.info().placement()));
            System.out.flush();
            Generation g = s.generate(PROMPT, GenerateOptions.greedy(n), null);
            System.out.println("tokens=" + Arrays.stream(g.tokens()).mapToObj(Integer::toString)
                    .collect(Collectors.joining(",")));
        }
    }
}
