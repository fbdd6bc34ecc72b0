package io.github.ggml4j.tokenizer;

import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pre-tokenizer pattern without a hand-written fast path, run the way llama.cpp's general path runs it.
 *
 * <p>llama.cpp does not evaluate {@code \p{..}} itself: when a pattern names Unicode categories it
 * "collapses" the text to one byte per code point (ASCII kept, other code points replaced by a byte per
 * category: 0xD1 number, 0xD2 letter, 0xD3 punctuation, 0xD4 mark, 0xD5 symbol, 0xD0 anything else, 0x0B
 * whitespace) and rewrites each {@code \p{X}} as a class of that byte plus X's ASCII members. Patterns
 * without categories run on the code points, with non-ASCII whitespace replaced by 0x0B so that {@code \s}
 * sees it. This class does the same, then hands the result to {@link Pattern}, whose semantics agree with
 * ECMAScript's for the constructs these patterns use ({@code $} is rewritten to {@code \z}: Java's
 * {@code $} would also match before a final line break).
 */
final class RegexSplitter implements Splitter {

    private static final String[][] CATEGORIES = {
        // name, collapsed byte + its ASCII members (a character-class body)
        {"\\p{N}", "\u00D10-9"},
        {"\\p{L}", "\u00D2A-Za-z"},
        {"\\p{P}", "\u00D3!-#%-*,-/:-;?-@\\[-\\]_\\{\\}"},
        {"\\p{M}", "\u00D4"},
        {"\\p{S}", "\u00D5\\$\\+<->\\^`\\|\\~"},
        {"\\p{Lu}", "\u00D2A-Za-z"},
        {"\\p{Ll}", "\u00D2A-Za-z"},
        {"\\p{Lt}", "\u00D2A-Za-z"},
        {"\\p{Lm}", "\u00D2A-Za-z"},
        {"\\p{Lo}", "\u00D2A-Za-z"},
    };

    private static final Pattern ONE_CLASS = Pattern.compile("(\\\\s\\?)?\\[(.+)\\](\\+)?", Pattern.DOTALL);

    private final String source;
    private final Pattern pattern;
    private final boolean collapsed;
    /** For patterns {@code \s?[C]+}, {@code [C]+} and {@code [C]}: the class, matched without Pattern. */
    private final CharClass oneClass;
    private final boolean spacePrefix;
    private final boolean repeated;

    RegexSplitter(String ecmaScriptPattern) {
        this(ecmaScriptPattern, true);
    }

    RegexSplitter(String ecmaScriptPattern, boolean allowFastPath) {
        this.source = ecmaScriptPattern;
        this.collapsed = usesCategories(ecmaScriptPattern);
        String javaPattern = collapsed ? collapse(ecmaScriptPattern) : ecmaScriptPattern;
        this.pattern = Pattern.compile(anchorEnd(javaPattern));
        Matcher shape = ONE_CLASS.matcher(javaPattern);
        CharClass cls = null;
        if (allowFastPath && shape.matches() && !hasUnescapedBracket(shape.group(2))) {
            try {
                cls = CharClass.parse(shape.group(2));
            } catch (IllegalArgumentException e) {
                cls = null; // beyond CharClass: Pattern handles it
            }
        }
        this.oneClass = cls;
        this.spacePrefix = cls != null && shape.group(1) != null;
        this.repeated = cls != null && shape.group(3) != null;
    }

    /** The pattern as llama.cpp writes it. */
    String source() {
        return source;
    }

    /** Whether the pattern runs on a {@link CharClass} table instead of {@link Pattern}. */
    boolean usesClassTable() {
        return oneClass != null;
    }

    private static boolean hasUnescapedBracket(String body) {
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '[' || c == ']') {
                return true;
            }
        }
        return false;
    }

    @Override
    public void split(int[] cps, IntList segments, IntList out) {
        if (oneClass != null) {
            splitOneClass(cps, segments, out);
            return;
        }
        // one text for all segments; the matcher's region confines each search to its segment
        boolean supplementary = false;
        int chars = cps.length;
        if (!collapsed) {
            for (int cp : cps) {
                chars += cp > 0xFFFF ? 1 : 0;
            }
        }
        char[] text = new char[chars];
        int[] cpIndex = null;
        int n = 0;
        for (int cp : cps) {
            if (collapsed) {
                text[n++] = collapse(cp);
            } else if (cp > 0x7F && Unicode.isWhitespace(cp)) {
                text[n++] = 0x0B;
            } else {
                n += Character.toChars(cp, text, n);
                supplementary |= cp > 0xFFFF;
            }
        }
        int[] charStart = null;
        if (supplementary) {
            // char offset of each code point, to translate match positions back
            charStart = new int[cps.length + 1];
            int c = 0;
            for (int i = 0; i < cps.length; i++) {
                charStart[i] = c;
                c += cps[i] > 0xFFFF ? 2 : 1;
            }
            charStart[cps.length] = c;
            cpIndex = new int[c + 1];
            for (int i = 0; i <= cps.length; i++) {
                cpIndex[charStart[i]] = i;
            }
        }
        Matcher m = pattern.matcher(new String(text, 0, n));
        int cpStart = 0;
        for (int s = 0; s < segments.size(); s++) {
            int cpEnd = cpStart + segments.get(s);
            int from = charStart == null ? cpStart : charStart[cpStart];
            int to = charStart == null ? cpEnd : charStart[cpEnd];
            m.region(from, to);
            int last = cpStart;
            while (m.find()) {
                int ms = cpIndex == null ? m.start() : cpIndex[m.start()];
                int me = cpIndex == null ? m.end() : cpIndex[m.end()];
                if (me == ms) {
                    continue; // an empty match adds no text (llama.cpp emits an empty word, which yields no token)
                }
                if (ms > last) {
                    out.add(ms - last);
                }
                out.add(me - ms);
                last = me;
            }
            if (last < cpEnd) {
                out.add(cpEnd - last);
            }
            cpStart = cpEnd;
        }
    }

    private void splitOneClass(int[] cps, IntList segments, IntList out) {
        int[] text = new int[cps.length];
        for (int i = 0; i < cps.length; i++) {
            int cp = cps[i];
            text[i] = collapsed ? collapse(cp) : cp > 0x7F && Unicode.isWhitespace(cp) ? 0x0B : cp;
        }
        int start = 0;
        for (int s = 0; s < segments.size(); s++) {
            int end = start + segments.get(s);
            int last = start;
            int p = start;
            while (p < end) {
                int classStart;
                if (spacePrefix && CharClass.isSpace(text[p]) && p + 1 < end && oneClass.contains(text[p + 1])) {
                    classStart = p + 1;
                } else if (oneClass.contains(text[p])) {
                    classStart = p;
                } else {
                    p++;
                    continue;
                }
                int e = classStart + 1;
                while (repeated && e < end && oneClass.contains(text[e])) {
                    e++;
                }
                if (p > last) {
                    out.add(p - last);
                }
                out.add(e - p);
                last = e;
                p = e;
            }
            if (last < end) {
                out.add(end - last);
            }
            start = end;
        }
    }

    @Override
    public void splitSegment(int[] cps, int start, int end, IntList out) {
        IntList one = new IntList(1);
        one.add(end - start);
        int[] slice = Arrays.copyOfRange(cps, start, end);
        split(slice, one, out);
    }

    private static char collapse(int cp) {
        if (cp < 0x80) {
            return (char) cp;
        }
        int flags = Unicode.flags(cp);
        if ((flags & Unicode.WHITESPACE) != 0) {
            return 0x0B;
        }
        return switch (flags & Unicode.CATEGORIES) {
            case Unicode.NUMBER -> '\u00D1';
            case Unicode.LETTER -> '\u00D2';
            case Unicode.PUNCTUATION -> '\u00D3';
            case Unicode.MARK -> '\u00D4';
            case Unicode.SYMBOL -> '\u00D5';
            default -> '\u00D0';
        };
    }

    static boolean usesCategories(String regex) {
        for (String[] c : CATEGORIES) {
            if (regex.contains(c[0])) {
                return true;
            }
        }
        return false;
    }

    /** llama.cpp's rewrite of category escapes, including its simple tracking of "inside a class". */
    static String collapse(String regex) {
        for (int i = 0; i < regex.length(); i++) {
            if (regex.charAt(i) >= 0x80) {
                throw new IllegalArgumentException("pattern mixes Unicode categories and non-ASCII characters: " + regex);
            }
        }
        StringBuilder sb = new StringBuilder();
        boolean inside = false;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '[' && (i == 0 || regex.charAt(i - 1) != '\\')) {
                sb.append('[');
                inside = true;
                continue;
            }
            if (inside && c == ']' && regex.charAt(i - 1) != '\\') {
                sb.append(']');
                inside = false;
                continue;
            }
            if (c == '\\' && i + 3 < regex.length() && regex.charAt(i + 1) == 'p' && regex.charAt(i + 2) == '{') {
                int close = regex.indexOf('}', i + 3);
                if (close >= 0 && close <= i + 10) {
                    String body = classBody(regex.substring(i, close + 1));
                    if (body != null) {
                        sb.append(inside ? body : "[" + body + "]");
                        i = close;
                        continue;
                    }
                }
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static String classBody(String escape) {
        for (String[] c : CATEGORIES) {
            if (c[0].equals(escape)) {
                return c[1];
            }
        }
        return null;
    }

    /** ECMAScript's {@code $} (no multiline) is the end of the input only: Java's {@code \z}. */
    private static String anchorEnd(String regex) {
        StringBuilder sb = new StringBuilder();
        boolean inside = false;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\' && i + 1 < regex.length()) {
                sb.append(c).append(regex.charAt(++i));
                continue;
            }
            if (c == '[') {
                inside = true;
            } else if (c == ']') {
                inside = false;
            }
            sb.append(!inside && c == '$' ? "\\z" : String.valueOf(c));
        }
        return sb.toString();
    }
}
