package io.github.ggml4j.session;

import java.util.List;

/**
 * Holds back generated text that could be the start of a stop string, so a stop string is never emitted,
 * even when it spans several tokens.
 */
final class StopMatcher {

    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean matched;

    StopMatcher(List<String> stops) {
        this.stops = stops;
    }

    /** Adds text; returns what can be emitted now (never part of a stop string). */
    String accept(String text) {
        if (stops.isEmpty()) {
            return text;
        }
        held.append(text);
        for (String s : stops) {
            int at = held.indexOf(s);
            if (at >= 0) {
                matched = true;
                String out = held.substring(0, at);
                held.setLength(0);
                return out;
            }
        }
        // keep the longest suffix that is a prefix of some stop string
        int keep = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, held.length()); k > keep; k--) {
                if (held.substring(held.length() - k).equals(s.substring(0, k))) {
                    keep = k;
                    break;
                }
            }
        }
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    boolean matched() {
        return matched;
    }

    /** Ends the stream: the held-back text (it did not become a stop string) plus {@code tail}. */
    String finish(String tail) {
        String out = accept(tail);
        if (matched) {
            return out;
        }
        out += held;
        held.setLength(0);
        return out;
    }
}
