package io.github.ggml4j.nativ;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Probes a portable build's CPU variants from the best score down, each in its own child process, until one
 * passes; variants below it are recorded as not probed (unless forced), variants this CPU cannot run as
 * unsupported.
 */
final class PortableProbe {

    private PortableProbe() {
    }

    /** {@code mustProbe} names a variant to probe even below one that passed (a forced variant), or is empty. */
    static List<ProbeVerdict> probeAll(Path exe, List<CpuPaths.Variant> variants, long timeoutSeconds, String mustProbe) {
        record Scored(CpuPaths.Variant v, int score) {
        }
        List<Scored> scored = new ArrayList<>();
        for (CpuPaths.Variant v : variants) {
            scored.add(new Scored(v, KernelProbe.score(exe, v.file(), timeoutSeconds)));
        }
        scored.sort(Comparator.comparingInt(Scored::score).reversed());
        List<ProbeVerdict> out = new ArrayList<>();
        boolean found = false;
        for (Scored s : scored) {
            if (s.score() <= 0) {
                out.add(new ProbeVerdict(s.v().name(), s.score(), false,
                        s.score() == 0 ? "not supported by this CPU (score 0)" : "no score (not a CPU variant?)", List.of()));
            } else if (found && !s.v().name().equals(mustProbe)) {
                out.add(new ProbeVerdict(s.v().name(), s.score(), false, "not probed (a better variant passed)", List.of()));
            } else {
                ProbeVerdict v = KernelProbe.probe(exe, s.v().file(), s.v().name(), timeoutSeconds);
                out.add(v);
                found |= v.usable();
            }
        }
        return out;
    }
}
