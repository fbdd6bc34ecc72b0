package io.github.ggml4j.nativ;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What one run of the {@code ggml4j-probe} executable printed (its line protocol is documented in
 * native/probe/ggml4j-probe.c), with how the process ended.
 *
 * @param bufts    extra buffer types it listed (also those it was told to skip)
 * @param results  every finished check
 * @param pending  the check that had begun but not finished when the output ended (a crash or hang), if any
 * @param done     whether it printed its final {@code done}
 * @param score    the variant score it printed, or -1
 * @param exit     the process's exit status (128 + signal for a signal, as Java reports it), -1 when killed on time
 * @param timedOut whether it was killed for running past the time limit
 */
record ProbeRun(List<String> bufts, List<Result> results, Optional<Check> pending, boolean done, int score, int exit,
                boolean timedOut) {

    /** The exit status the probe uses for a variant this CPU cannot run (ggml's score 0). */
    static final int EXIT_UNSUPPORTED_VARIANT = 4;
    /** What a run reports when the executable could not be started at all. */
    static final int EXIT_NOT_STARTED = 127;

    ProbeRun {
        bufts = List.copyOf(bufts);
        results = List.copyOf(results);
    }

    /** A check: buffer type ({@code CPU} for the plain path), weight type and shape. */
    record Check(String buft, String type, String shape) {
        @Override
        public String toString() {
            return "mul_mat " + type + " " + shape;
        }
    }

    /** A finished check. */
    record Result(Check check, boolean ok, String nmse) {
    }

    static ProbeRun parse(String stdout, int exit, boolean timedOut) {
        List<String> bufts = new ArrayList<>();
        List<Result> results = new ArrayList<>();
        Check pending = null;
        boolean done = false;
        int score = -1;
        for (String line : stdout.split("\n")) {
            String[] f = line.strip().split(" ");
            switch (f[0]) {
                case "buft" -> {
                    if (f.length >= 2) {
                        bufts.add(f[1]);
                    }
                }
                case "variant" -> {
                    for (String x : f) {
                        if (x.startsWith("score=")) {
                            try {
                                score = Integer.parseInt(x.substring(6));
                            } catch (NumberFormatException e) {
                                score = -1;
                            }
                        }
                    }
                }
                case "begin" -> {
                    if (f.length == 4) {
                        pending = new Check(f[1], f[2], f[3]);
                    }
                }
                case "result" -> {
                    // result BUFT TYPE SHAPE ok|fail nmse=X [note]
                    if (f.length >= 6) {
                        results.add(new Result(new Check(f[1], f[2], f[3]), f[4].equals("ok"),
                                f[5].startsWith("nmse=") ? f[5].substring(5) : f[5]));
                        pending = null;
                    }
                }
                case "done" -> done = true;
                default -> {
                    // probe/device/unsupported/error lines carry nothing a verdict needs
                }
            }
        }
        return new ProbeRun(bufts, results, Optional.ofNullable(pending), done, score, exit, timedOut);
    }

    /** Whether the run ended normally with every check printed. */
    boolean complete() {
        return done && exit == 0 && !timedOut;
    }

    /** How the process ended, in words: "crashed (SIGSEGV)", "timed out after 30 s", "exited with 3". */
    String ending(long limitSeconds) {
        if (timedOut) {
            return "timed out after " + limitSeconds + " s";
        }
        if (exit == EXIT_NOT_STARTED) {
            return "could not be started";
        }
        if (exit > 128 && exit < 128 + 65) {
            return "crashed (" + signalName(exit - 128) + ")";
        }
        return "exited with " + exit;
    }

    static String signalName(int sig) {
        return switch (sig) {
            case 4 -> "SIGILL";
            case 6 -> "SIGABRT";
            case 7 -> "SIGBUS";
            case 8 -> "SIGFPE";
            case 9 -> "SIGKILL";
            case 11 -> "SIGSEGV";
            default -> "signal " + sig;
        };
    }
}
