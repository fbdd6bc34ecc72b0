package io.github.ggml4j.chat;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/** The global functions Hugging Face's chat-template environment adds to Jinja. */
public final class HfFunctions {

    private HfFunctions() {
    }

    /** {@code raise_exception(message)}: the template refuses the conversation. */
    public static Object raiseException(Object message) {
        Sandbox.current().fail(new Sandbox.Raised(PyMethods.str(message)));
        return null;
    }

    /** {@code strftime_now(format)}: the current local time in Python's strftime format. */
    public static String strftimeNow(String format) {
        return strftime(ZonedDateTime.now(), format);
    }

    /**
     * Python's {@code range(stop)} / {@code range(start, stop[, step])}; a range longer than the sandbox's
     * collection limit is an error rather than silently cut short.
     */
    public static java.util.List<Object> range(Object first, Object... rest) {
        long start = 0;
        long stop;
        long step = 1;
        if (rest == null || rest.length == 0) {
            stop = PyMethods.intArg(first);
        } else {
            start = PyMethods.intArg(first);
            stop = PyMethods.intArg(rest[0]);
            if (rest.length > 1) {
                step = PyMethods.intArg(rest[1]);
            }
        }
        if (step == 0) {
            throw new Sandbox.Violation("range() step must not be zero");
        }
        long count = step > 0 ? Math.max(0, (stop - start + step - 1) / step) : Math.max(0, (start - stop - step - 1) / -step);
        Sandbox.current().checkList((int) Math.min(Integer.MAX_VALUE, count));
        java.util.List<Object> out = new java.util.ArrayList<>((int) count);
        for (long i = 0, v = start; i < count; i++, v += step) {
            out.add(v);
        }
        return Sandbox.list(out);
    }

    /** Null (an undefined value) as "", anything else as it is: how llama.cpp concatenates undefined values. */
    public static Object nz(Object v) {
        return v == null ? "" : v;
    }

    /** Python's {@code seq[start:stop:step]} on a list or string (the rewrite of slices Jinjava cannot parse). */
    public static Object slice(Object seq, Object start, Object stop, Object step) {
        if (seq instanceof com.hubspot.jinjava.objects.SafeString s) {
            seq = s.getValue();
        }
        int len;
        if (seq instanceof String s) {
            len = s.length();
        } else if (seq instanceof java.util.List<?> l) {
            len = l.size();
        } else {
            throw new Sandbox.Violation("cannot slice " + (seq == null ? "none" : "a " + seq.getClass().getSimpleName()));
        }
        int st = step == null ? 1 : PyMethods.intArg(step);
        if (st == 0) {
            throw new Sandbox.Violation("slice step cannot be zero");
        }
        int lo = bound(start, len, st > 0 ? 0 : len - 1, st);
        int hi = bound(stop, len, st > 0 ? len : -1, st);
        StringBuilder sb = new StringBuilder();
        java.util.List<Object> out = new java.util.ArrayList<>();
        for (int i = lo; st > 0 ? i < hi : i > hi; i += st) {
            if (seq instanceof String s) {
                sb.append(s.charAt(i));
            } else {
                out.add(((java.util.List<?>) seq).get(i));
            }
        }
        return seq instanceof String ? sb.toString() : Sandbox.list(out);
    }

    private static int bound(Object v, int len, int dflt, int step) {
        if (v == null) {
            return dflt;
        }
        int i = PyMethods.intArg(v);
        if (i < 0) {
            i += len;
        }
        return step > 0 ? Math.max(0, Math.min(len, i)) : Math.max(-1, Math.min(len - 1, i));
    }

    static String strftime(ZonedDateTime t, String format) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                b.append(c);
                continue;
            }
            char d = format.charAt(++i);
            switch (d) {
                case 'd' -> b.append(String.format(Locale.ROOT, "%02d", t.getDayOfMonth()));
                case 'e' -> b.append(String.format(Locale.ROOT, "%2d", t.getDayOfMonth()));
                case 'm' -> b.append(String.format(Locale.ROOT, "%02d", t.getMonthValue()));
                case 'Y' -> b.append(t.getYear());
                case 'y' -> b.append(String.format(Locale.ROOT, "%02d", t.getYear() % 100));
                case 'b', 'h' -> b.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'B' -> b.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> b.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> b.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'H' -> b.append(String.format(Locale.ROOT, "%02d", t.getHour()));
                case 'I' -> b.append(String.format(Locale.ROOT, "%02d", (t.getHour() + 11) % 12 + 1));
                case 'M' -> b.append(String.format(Locale.ROOT, "%02d", t.getMinute()));
                case 'S' -> b.append(String.format(Locale.ROOT, "%02d", t.getSecond()));
                case 'p' -> b.append(t.getHour() < 12 ? "AM" : "PM");
                case 'j' -> b.append(String.format(Locale.ROOT, "%03d", t.getDayOfYear()));
                case 'Z' -> b.append(t.getZone().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case '%' -> b.append('%');
                default -> b.append('%').append(d);
            }
        }
        return b.toString();
    }
}
