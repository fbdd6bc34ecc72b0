package io.github.ggml4j.chat;

import io.github.ggml4j.ChatTemplateException;

/**
 * Applies Jinja's whitespace control to a template's text once, before Jinjava sees it, the way chat templates
 * are rendered by Hugging Face ({@code trim_blocks} and {@code lstrip_blocks} on) and llama.cpp's engine, and
 * removes the {@code -} markers from the tags. Jinjava's own trimming differs in corner cases (it strips spaces
 * before any tag, not only at the start of a line), so it is left off.
 *
 * <ul>
 *   <li>{@code lstrip_blocks}: spaces and tabs between the start of a line and a {@code {%} or {@code {#} go.
 *   <li>{@code trim_blocks}: one newline right after {@code %}} or {@code #}} goes.
 *   <li>{@code {%-} / {@code {{-} / {@code {#-}: all whitespace before the tag goes; {@code -%}} / {@code -}}}
 *       / {@code -#}}: all whitespace after it.
 * </ul>
 */
final class Whitespace {

    private Whitespace() {
    }

    static String normalize(String src) {
        StringBuilder out = new StringBuilder(src.length());
        int pos = 0;
        int n = src.length();
        String lastClose = null; // "%}", "}}", "#}" of the previous tag, null at the start
        boolean lastRstrip = false;
        while (pos < n) {
            int start = pos;
            while (pos < n && !(src.charAt(pos) == '{' && pos + 1 < n && "%{#".indexOf(src.charAt(pos + 1)) >= 0)) {
                pos++;
            }
            int end = pos;
            if (pos < n && (src.charAt(pos + 1) == '%' || src.charAt(pos + 1) == '#')) {
                // lstrip_blocks: back over spaces to the start of the line
                int cur = end;
                while (cur > start) {
                    char c = src.charAt(cur - 1);
                    if (cur == 1) {
                        end = 0;
                        break;
                    }
                    if (c == '\n') {
                        end = cur;
                        break;
                    }
                    if (!isSpace(c)) {
                        break;
                    }
                    cur--;
                }
                if (end < start) {
                    end = start;
                }
            }
            String text = src.substring(start, end);
            if (lastClose != null && !lastClose.equals("}}") && text.startsWith("\n")) {
                text = text.substring(1);
            }
            if (lastRstrip) {
                text = stripLeading(text);
            }
            if (pos + 2 < n && src.charAt(pos + 2) == '-') {
                text = stripTrailing(text);
            }
            if (pos < n && text.endsWith("{")) {
                // "{" right before a tag would read as "{{" once the whitespace between them is gone
                out.append(text, 0, text.length() - 1).append("{{ '{' }}");
            } else {
                out.append(text);
            }
            if (pos >= n) {
                break;
            }
            // the tag: {% ... %}, {{ ... }} or {# ... #}
            char kind = src.charAt(pos + 1);
            int bodyStart = pos + 2;
            if (bodyStart < n && src.charAt(bodyStart) == '-') {
                bodyStart++;
            }
            int close = kind == '#' ? src.indexOf("#}", bodyStart) : findClose(src, bodyStart, kind);
            if (close < 0) {
                throw new ChatTemplateException("chat template: unclosed " + (kind == '#' ? "comment" : kind == '%'
                        ? "tag" : "expression") + " at line " + line(src, pos));
            }
            int bodyEnd = close;
            lastRstrip = close > bodyStart && src.charAt(close - 1) == '-';
            if (lastRstrip) {
                bodyEnd--;
            }
            if (kind != '#') {
                String closer = kind == '%' ? "%}" : "}}";
                out.append('{').append(kind).append(rewrite(kind, src.substring(bodyStart, bodyEnd))).append(closer);
                lastClose = closer;
            } else {
                lastClose = "#}"; // comments are dropped
            }
            pos = close + 2;
        }
        return out.toString();
    }

    private static final java.util.Set<String> EXPRESSION_TAGS = java.util.Set.of("if", "elif", "set", "for", "do",
            "print");

    /** Jinja's precedence for the expressions in a tag or {@code {{ }}} (see {@link Expressions}). */
    private static String rewrite(char kind, String body) {
        if (kind == '{') {
            return Expressions.rewrite(body);
        }
        String trimmed = body.stripLeading();
        int end = 0;
        while (end < trimmed.length() && Character.isLetter(trimmed.charAt(end))) {
            end++;
        }
        String tag = trimmed.substring(0, end);
        if (!EXPRESSION_TAGS.contains(tag)) {
            return body;
        }
        return body.substring(0, body.length() - trimmed.length()) + tag + Expressions.rewrite(trimmed.substring(end));
    }

    /** The index of the closing {@code %}} or {@code }}}, skipping string literals and nested braces. */
    private static int findClose(String s, int from, char kind) {
        int depth = 0;
        for (int i = from; i + 1 < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < s.length() && s.charAt(j) != c) {
                    if (s.charAt(j) == '\\') {
                        j++;
                    }
                    j++;
                }
                i = j;
                continue;
            }
            if (kind == '%' && c == '%' && s.charAt(i + 1) == '}') {
                return i;
            }
            if (c == '{') {
                depth++;
            } else if (c == '}') {
                if (depth == 0 && kind == '{' && s.charAt(i + 1) == '}') {
                    return i;
                }
                depth = Math.max(0, depth - 1);
            }
        }
        return -1;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == 0x0b || c == 0x0c;
    }

    private static String stripLeading(String s) {
        int i = 0;
        while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
            i++;
        }
        return s.substring(i);
    }

    private static String stripTrailing(String s) {
        int i = s.length();
        while (i > 0 && " \t\r\n".indexOf(s.charAt(i - 1)) >= 0) {
            i--;
        }
        return s.substring(0, i);
    }

    private static int line(String s, int pos) {
        int line = 1;
        for (int i = 0; i < pos; i++) {
            if (s.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }
}
