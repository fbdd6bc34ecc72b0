package io.github.ggml4j.nativ;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs the {@code ggml4j-probe} executable in child processes and turns what they print into a
 * {@link ProbeVerdict}. A crash or hang kills only the child: the buffer type of the check that had begun is
 * blamed, and the probe runs again without it until every other buffer type is judged.
 *
 * {@snippet :
 * ProbeVerdict v = KernelProbe.probe(exe, null, "native", 60);
 * v.bufts().forEach(b -> System.out.println(b.name() + " " + (b.usable() ? "usable" : b.reason())));
 * }
 */
public final class KernelProbe {

    /** The plain CPU path's name in the probe's output. */
    static final String PLAIN = "CPU";

    private KernelProbe() {
    }

    /**
     * Probes one CPU backend: the one linked into libggml when {@code variantLib} is null, else that variant
     * library (portable builds).
     */
    public static ProbeVerdict probe(Path exe, Path variantLib, String variant, long timeoutSeconds) {
        return probe(exe, variantLib, variant, timeoutSeconds, Map.of());
    }

    /** As {@link #probe(Path, Path, String, long)}, with extra environment variables for the child (tests). */
    static ProbeVerdict probe(Path exe, Path variantLib, String variant, long timeoutSeconds, Map<String, String> env) {
        List<ProbeRun> runs = new ArrayList<>();
        Map<String, String> crashed = new LinkedHashMap<>();
        List<String> skip = new ArrayList<>();
        for (int round = 0; round < 16; round++) {
            List<String> cmd = command(exe, variantLib);
            if (!skip.isEmpty()) {
                cmd.add("--skip");
                cmd.add(String.join(",", skip));
            }
            ProbeRun run = runOnce(cmd, timeoutSeconds, env);
            runs.add(run);
            if (run.complete() || run.exit() == ProbeRun.EXIT_UNSUPPORTED_VARIANT) {
                break;
            }
            Optional<ProbeRun.Check> pending = run.pending();
            if (pending.isEmpty() || pending.get().buft().equals(PLAIN) || skip.contains(pending.get().buft())) {
                break; // the plain path or the probe itself failed: the variant is judged unusable below
            }
            String buft = pending.get().buft();
            crashed.put(buft, run.ending(timeoutSeconds) + " in " + pending.get());
            skip.add(buft);
        }
        return verdict(variant, runs, crashed, timeoutSeconds);
    }

    /** ggml's score for a variant library on this CPU (0: it cannot run here), without probing it. */
    public static int score(Path exe, Path variantLib, long timeoutSeconds) {
        List<String> cmd = command(exe, variantLib);
        cmd.add("--score");
        return runOnce(cmd, timeoutSeconds, Map.of()).score();
    }

    private static List<String> command(Path exe, Path variantLib) {
        List<String> cmd = new ArrayList<>(List.of(exe.toString()));
        if (variantLib != null) {
            cmd.add("--backend");
            cmd.add(variantLib.toString());
        }
        return cmd;
    }

    /** Judges a sequence of runs (the first saw every buffer type; later ones skipped those that crashed). */
    static ProbeVerdict verdict(String variant, List<ProbeRun> runs, Map<String, String> crashed, long timeoutSeconds) {
        ProbeRun first = runs.getFirst();
        ProbeRun last = runs.getLast();
        if (last.exit() == ProbeRun.EXIT_UNSUPPORTED_VARIANT) {
            return new ProbeVerdict(variant, last.score(), false, "not supported by this CPU (score 0)", List.of());
        }
        List<ProbeRun.Result> results = new ArrayList<>();
        runs.forEach(r -> results.addAll(r.results()));
        String plainProblem = null;
        for (ProbeRun.Result r : results) {
            if (r.check().buft().equals(PLAIN) && !r.ok()) {
                plainProblem = "plain CPU " + r.check() + " wrong (nmse " + r.nmse() + ")";
                break;
            }
        }
        if (!last.complete()) {
            String where = last.pending().map(c -> " in " + (c.buft().equals(PLAIN) ? "plain CPU " : c.buft() + " ") + c)
                    .orElse("");
            plainProblem = "probe " + last.ending(timeoutSeconds) + where;
        }
        Set<String> names = new LinkedHashSet<>(first.bufts());
        List<ProbeVerdict.Buft> bufts = new ArrayList<>();
        for (String name : names) {
            bufts.add(judge(name, results, crashed, plainProblem));
        }
        boolean usable = plainProblem == null;
        return new ProbeVerdict(variant, first.score(), usable, usable ? "passed" : plainProblem, bufts);
    }

    private static ProbeVerdict.Buft judge(String name, List<ProbeRun.Result> results, Map<String, String> crashed,
                                           String plainProblem) {
        if (crashed.containsKey(name)) {
            return new ProbeVerdict.Buft(name, false, crashed.get(name), Set.of());
        }
        Map<String, Boolean> typeOk = new LinkedHashMap<>();
        String wrong = null;
        for (ProbeRun.Result r : results) {
            if (!r.check().buft().equals(name)) {
                continue;
            }
            typeOk.merge(r.check().type(), r.ok(), Boolean::logicalAnd);
            if (!r.ok() && wrong == null) {
                wrong = "wrong result in " + r.check() + " (nmse " + r.nmse() + " vs the plain CPU path)";
            }
        }
        if (wrong != null) {
            return new ProbeVerdict.Buft(name, false, wrong, Set.of());
        }
        if (plainProblem != null) {
            return new ProbeVerdict.Buft(name, false, "not judged: " + plainProblem, Set.of());
        }
        Set<String> types = new LinkedHashSet<>();
        typeOk.forEach((t, ok) -> {
            if (ok) {
                types.add(t);
            }
        });
        return new ProbeVerdict.Buft(name, true, types.isEmpty() ? "passed (takes none of the probed types)" : "passed",
                types);
    }

    static ProbeRun runOnce(List<String> cmd, long timeoutSeconds, Map<String, String> env) {
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("ggml4j-probe-", ".out");
            err = Files.createTempFile("ggml4j-probe-", ".err");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            pb.environment().putAll(env);
            Process p = pb.start();
            boolean finished = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!finished) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            return ProbeRun.parse(text, finished ? p.exitValue() : -1, !finished);
        } catch (IOException e) {
            return ProbeRun.parse("", ProbeRun.EXIT_NOT_STARTED, false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ProbeRun.parse("", ProbeRun.EXIT_NOT_STARTED, false);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a leftover temp file changes nothing
            }
        }
    }
}
