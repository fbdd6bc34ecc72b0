package io.github.ggml4j.grammar;


/**
 * Grammar text for repetitions ({@code minItems}/{@code maxItems}, {@code minLength}/{@code maxLength}, regex
 * quantifiers) and for integers within bounds, laid out as llama.cpp lays them out: an integer range becomes
 * digit-range alternatives per number of digits (at most 16 digits where a side is unbounded). Internal to the
 * grammar package.
 */
final class RangeRules {

    private RangeRules() {
    }

    /**
     * {@code item} repeated {@code min} to {@code max} times ({@link Integer#MAX_VALUE}: unbounded), with
     * {@code separator} between repetitions when it is not empty.
     */
    static String repetition(String item, int min, int max, String separator) {
        boolean hasMax = max != Integer.MAX_VALUE;
        if (max == 0) {
            return "";
        }
        if (min == 0 && max == 1) {
            return item + "?";
        }
        if (separator.isEmpty()) {
            if (min == 1 && !hasMax) {
                return item + "+";
            }
            if (min == 0 && !hasMax) {
                return item + "*";
            }
            return item + "{" + min + "," + (hasMax ? String.valueOf(max) : "") + "}";
        }
        String result = item + " " + repetition("(" + separator + " " + item + ")", min == 0 ? 0 : min - 1,
                hasMax ? max - 1 : max, "");
        return min == 0 ? "(" + result + ")?" : result;
    }

    /** Alternatives matching the decimal integers from {@code min} to {@code max}; MIN/MAX_VALUE: unbounded. */
    static String integerRange(long min, long max) {
        var out = new StringBuilder();
        minMax(min, max, out, 16, true);
        return out.toString();
    }

    private static void digitRange(char from, char to, StringBuilder out) {
        out.append('[');
        if (from == to) {
            out.append(from);
        } else {
            out.append(from).append('-').append(to);
        }
        out.append(']');
    }

    private static void moreDigits(int minDigits, int maxDigits, StringBuilder out) {
        out.append("[0-9]");
        if (minDigits == maxDigits && minDigits == 1) {
            return;
        }
        out.append('{').append(minDigits);
        if (maxDigits != minDigits) {
            out.append(',');
            if (maxDigits != Integer.MAX_VALUE) {
                out.append(maxDigits);
            }
        }
        out.append('}');
    }

    /** The numbers between two digit strings of the same length (or the common prefix, when they differ). */
    private static void uniformRange(String from, String to, StringBuilder out) {
        int i = 0;
        while (i < from.length() && i < to.length() && from.charAt(i) == to.charAt(i)) {
            i++;
        }
        if (i > 0) {
            out.append('"').append(from, 0, i).append('"');
        }
        if (i >= from.length() || i >= to.length()) {
            return;
        }
        if (i > 0) {
            out.append(' ');
        }
        int subLen = from.length() - i - 1;
        char f = from.charAt(i);
        char t = to.charAt(i);
        if (subLen <= 0) {
            out.append('[').append(f).append('-').append(t).append(']');
            return;
        }
        String fromSub = from.substring(i + 1);
        String toSub = to.substring(i + 1);
        String zeros = "0".repeat(subLen);
        String nines = "9".repeat(subLen);
        boolean toReached = false;
        out.append('(');
        if (fromSub.equals(zeros)) {
            digitRange(f, (char) (t - 1), out);
            out.append(' ');
            moreDigits(subLen, subLen, out);
        } else {
            out.append('[').append(f).append("] (");
            uniformRange(fromSub, nines, out);
            out.append(')');
            if (f < t - 1) {
                out.append(" | ");
                if (toSub.equals(nines)) {
                    digitRange((char) (f + 1), t, out);
                    toReached = true;
                } else {
                    digitRange((char) (f + 1), (char) (t - 1), out);
                }
                out.append(' ');
                moreDigits(subLen, subLen, out);
            }
        }
        if (!toReached) {
            out.append(" | ");
            digitRange(t, t, out);
            out.append(' ');
            uniformRange(zeros, toSub, out);
        }
        out.append(')');
    }

    private static void minMax(long min, long max, StringBuilder out, int decimalsLeft, boolean topLevel) {
        boolean hasMin = min != Long.MIN_VALUE;
        boolean hasMax = max != Long.MAX_VALUE;

        if (hasMin && hasMax) {
            if (min < 0 && max < 0) {
                out.append("\"-\" (");
                minMax(-max, -min, out, decimalsLeft, true);
                out.append(')');
                return;
            }
            if (min < 0) {
                out.append("\"-\" (");
                minMax(0, -min, out, decimalsLeft, true);
                out.append(") | ");
                min = 0;
            }
            String minS = Long.toString(min);
            String maxS = Long.toString(max);
            for (int digits = minS.length(); digits < maxS.length(); digits++) {
                uniformRange(minS, "9".repeat(digits), out);
                minS = "1" + "0".repeat(digits);
                out.append(" | ");
            }
            uniformRange(minS, maxS, out);
            return;
        }

        int lessDecimals = Math.max(decimalsLeft - 1, 1);

        if (hasMin) {
            if (min < 0) {
                out.append("\"-\" (");
                minMax(Long.MIN_VALUE, -min, out, decimalsLeft, false);
                out.append(") | [0] | [1-9] ");
                moreDigits(0, decimalsLeft - 1, out);
            } else if (min == 0) {
                if (topLevel) {
                    out.append("[0] | [1-9] ");
                    moreDigits(0, lessDecimals, out);
                } else {
                    moreDigits(1, decimalsLeft, out);
                }
            } else if (min <= 9) {
                char c = (char) ('0' + min);
                char rangeStart = topLevel ? '1' : '0';
                if (c > rangeStart) {
                    digitRange(rangeStart, (char) (c - 1), out);
                    out.append(' ');
                    moreDigits(1, lessDecimals, out);
                    out.append(" | ");
                }
                digitRange(c, '9', out);
                out.append(' ');
                moreDigits(0, lessDecimals, out);
            } else {
                String minS = Long.toString(min);
                int len = minS.length();
                char c = minS.charAt(0);
                if (c > '1') {
                    digitRange(topLevel ? '1' : '0', (char) (c - 1), out);
                    out.append(' ');
                    moreDigits(len, lessDecimals, out);
                    out.append(" | ");
                }
                digitRange(c, c, out);
                out.append(" (");
                minMax(Long.parseLong(minS.substring(1)), Long.MAX_VALUE, out, lessDecimals, false);
                out.append(')');
                if (c < '9') {
                    out.append(" | ");
                    digitRange((char) (c + 1), '9', out);
                    out.append(' ');
                    moreDigits(len - 1, lessDecimals, out);
                }
            }
            return;
        }

        if (hasMax) {
            if (max >= 0) {
                if (topLevel) {
                    out.append("\"-\" [1-9] ");
                    moreDigits(0, lessDecimals, out);
                    out.append(" | ");
                }
                minMax(0, max, out, decimalsLeft, true);
            } else {
                out.append("\"-\" (");
                minMax(-max, Long.MAX_VALUE, out, decimalsLeft, false);
                out.append(')');
            }
            return;
        }

        throw new GrammarException("JSON schema conversion failed: integer range without a bound (" + min + ", "
                + max + ")");
    }
}
