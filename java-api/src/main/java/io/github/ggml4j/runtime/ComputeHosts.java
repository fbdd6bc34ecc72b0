package io.github.ggml4j.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which thread computes each engine's graphs, process-wide. With OpenMP every thread that computes keeps its own
 * pool of workers, and once a process has more of them than CPUs, libgomp stops spinning at its barriers and
 * sleeps in the kernel at every one: a second model merely loaded made the first decode 40 % slower, and T5's
 * encoder engine made its decoder 0.5× as fast. So an engine that would take the process past its CPUs computes
 * on a host engine's thread instead (between the host's own steps); engines that fit compute on their own.
 * When a host closes, its first guest becomes the host of the others.
 */
final class ComputeHosts {

    /** Engines computing on their own thread, each with the engines computing on its thread. */
    private static final Map<Engine, List<Engine>> HOSTS = new LinkedHashMap<>();

    private ComputeHosts() {
    }

    /**
     * Registers a new engine: it computes on its own thread when it fits in the CPUs next to the engines already
     * computing on theirs, else on the first of them (set here, under the lock that hand-overs take too).
     */
    static synchronized void join(Engine engine, int threads, int cpus) {
        int used = 0;
        for (Engine host : HOSTS.keySet()) {
            used += host.options().threads();
        }
        if (HOSTS.isEmpty() || used + threads <= cpus) {
            HOSTS.put(engine, new ArrayList<>());
            engine.computeOn(null);
            return;
        }
        Engine host = HOSTS.keySet().iterator().next();
        HOSTS.get(host).add(engine);
        engine.computeOn(host);
    }

    /**
     * Unregisters a closing engine; when it hosted others, the first of them computes on its own thread from now
     * on and hosts the rest. Runs before the engine stops taking calls, so a guest's next step finds its new host.
     */
    static synchronized void leave(Engine engine) {
        List<Engine> guests = HOSTS.remove(engine);
        if (guests == null) {
            for (List<Engine> g : HOSTS.values()) {
                g.remove(engine);
            }
            return;
        }
        if (guests.isEmpty()) {
            return;
        }
        Engine heir = guests.removeFirst();
        heir.computeOn(null);
        HOSTS.put(heir, guests);
        for (Engine g : guests) {
            g.computeOn(heir);
        }
    }
}
