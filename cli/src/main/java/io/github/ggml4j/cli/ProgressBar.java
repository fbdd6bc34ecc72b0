package io.github.ggml4j.cli;

import io.github.ggml4j.quantize.ProgressListener;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar on stderr: tensor i/n, a bar, bytes done, rate and time left, redrawn at most ten times a
 * second with a carriage return. Only used when stderr is a terminal.
 */
final class ProgressBar implements ProgressListener {

    private static final int WIDTH = 24;

    private final PrintWriter err;
    private final long start = System.nanoTime();
    private long lastDraw;
    private boolean drawn;

    ProgressBar(PrintWriter err) {
        this.err = err;
    }

    /** Whether a bar should be drawn: not asked to be quiet and stderr is an interactive terminal. */
    static boolean wanted(boolean quiet) {
        java.io.Console c = System.console();
        return !quiet && c != null && c.isTerminal();
    }

    @Override
    public void progress(int tensor, int tensors, String name, long done, long total) {
        long now = System.nanoTime();
        if (drawn && now - lastDraw < 100_000_000L && done < total) {
            return;
        }
        lastDraw = now;
        drawn = true;
        double frac = total == 0 ? 1 : (double) done / total;
        int fill = (int) Math.round(frac * WIDTH);
        double secs = (now - start) / 1e9;
        double rate = secs > 0 ? done / secs : 0;
        String eta = rate > 0 && done < total ? String.format(Locale.ROOT, "%.0fs", (total - done) / rate) : "-";
        String shortName = name.length() > 28 ? name.substring(0, 27) + "~" : name;
        err.printf(Locale.ROOT, "\r[%4d/%4d] %-28s [%s%s] %5.1f%% %8.1f/%.1f MiB %7.1f MiB/s ETA %-6s", tensor + 1,
                tensors, shortName, "#".repeat(fill), ".".repeat(WIDTH - fill), 100 * frac, done / 1048576.0,
                total / 1048576.0, rate / 1048576.0, eta);
        err.flush();
    }

    /** Ends the bar's line, if one was drawn. */
    void finish() {
        if (drawn) {
            err.println();
            err.flush();
        }
    }
}
