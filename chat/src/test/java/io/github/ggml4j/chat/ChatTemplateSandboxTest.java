package io.github.ggml4j.chat;

import io.github.ggml4j.ChatTemplateException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Case 31: a hostile template is stopped with a typed error; no Java object, file or unbounded work is reachable. */
class ChatTemplateSandboxTest {

    static final List<ChatMessage> CONVERSATION = List.of(ChatMessage.user("hi"));

    static String render(String template) {
        return ChatTemplate.of(template).render(CONVERSATION, true);
    }

    static ChatTemplateException refused(String template, TemplateLimits limits) {
        return assertThrows(ChatTemplateException.class,
                () -> ChatTemplate.of(template, "", "", limits).render(CONVERSATION, true));
    }

    @Test
    void loopPrevitemNextitemAndTheItemsFilterWorkAsInJinja() {
        ChatTemplate t = ChatTemplate.of("{% for x in xs %}[{{ loop.previtem }}<{{ x }}>{{ loop.nextitem }}]"
                + "{% endfor %}|{% for k, v in d|items %}{{ k }}={{ v }};{% endfor %}"
                + "|{% for o in xs %}{% for i in ys %}{{ loop.previtem }}{% endfor %}{{ loop.previtem }}/{% endfor %}");
        String out = t.render(java.util.Map.of("xs", java.util.List.of(1, 2, 3), "ys", java.util.List.of("a", "b"),
                "d", java.util.Map.of("k", "v")));
        // an undefined previtem/nextitem prints nothing; the inner loop's loop is its own
        assertEquals("[<1>2][1<2>3][2<3>]|k=v;|a/a1/a2/", out);
    }

    @Test
    void anEndlessLoopIsStoppedByTheStepBudget() {
        long t0 = System.nanoTime();
        ChatTemplateException e = refused("{% for a in range(100000) %}{% for b in range(100000) %}{{ a }}"
                + "{% endfor %}{% endfor %}", TemplateLimits.DEFAULT);
        assertTrue(e.getMessage().contains("steps") || e.getMessage().contains("longer than"), e.getMessage());
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(30).toNanos(), "the budget must end the render");
    }

    @Test
    void aRenderPastItsTimeIsStopped() {
        TemplateLimits tight = new TemplateLimits(4L << 20, Long.MAX_VALUE / 2, Duration.ofMillis(200), 100_000, 64);
        ChatTemplateException e = refused("{% for a in range(100000) %}{% for b in range(100000) %}{{ a }}"
                + "{% endfor %}{% endfor %}", tight);
        assertTrue(e.getMessage().contains("longer than 200 ms"), e.getMessage());
    }

    @Test
    void hugeOutputIsStopped() {
        TemplateLimits small = new TemplateLimits(10_000, 2_000_000, Duration.ofSeconds(5), 100_000, 64);
        ChatTemplateException e = refused("{% for i in range(5000) %}0123456789{% endfor %}", small);
        assertTrue(e.getMessage().toLowerCase().contains("output") || e.getMessage().contains("10000"),
                e.getMessage());
    }

    @Test
    void aRangeOverTheLimitIsAnErrorNotATruncation() {
        ChatTemplateException e = refused("{% for i in range(1000000000) %}x{% endfor %}", TemplateLimits.DEFAULT);
        assertTrue(e.getMessage().contains("100000 items"), e.getMessage());
    }

    @Test
    void endlessRecursionIsStopped() {
        refused("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", TemplateLimits.DEFAULT);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{{ ''.getClass() }}",
            "{{ ''.getClass().forName('java.lang.Runtime') }}",
            "{{ messages.getClass() }}",
            "{{ messages[0].getClass().getClassLoader() }}",
            "{% for m in messages %}{{ loop.getClass() }}{% endfor %}",
            "{{ (1).getClass() }}",
            "{{ messages.class.forName('java.lang.System') }}",
            "{% set x = ''.getBytes() %}{{ x }}",
            "{{ messages[0].content.toString().getClass() }}",
            "{% include '/etc/passwd' %}",
            "{% import 'x.jinja' as y %}",
            "{% extends '/etc/hostname' %}",
            "{{ 'x'|render }}",
            "{{ '{{ 7*7 }}'|fromjson }}",
    })
    void javaObjectsAndFilesAreOutOfReach(String template) {
        ChatTemplateException e = refused(template, TemplateLimits.DEFAULT);
        assertTrue(!e.getMessage().contains("root:"), e.getMessage());
    }

    @Test
    void attributesOfPlainValuesAreUndefinedAsInJinja() {
        assertEquals("||", render("{{ ''.class }}|{{ (1).class }}|{{ messages[0].content.bytes }}"));
    }

    @Test
    void raiseExceptionIsATypedErrorWithTheTemplatesMessage() {
        ChatTemplateException e = refused("{{ raise_exception('Conversation roles must alternate') }}",
                TemplateLimits.DEFAULT);
        assertTrue(e.getMessage().contains("Conversation roles must alternate"), e.getMessage());
    }

    @Test
    void unknownTagsNameTheFeature() {
        ChatTemplateException e = refused("{% frobnicate %}", TemplateLimits.DEFAULT);
        assertTrue(e.getMessage().contains("frobnicate"), e.getMessage());
    }

    @Test
    void userContentIsDataNotTemplateCode() {
        String out = ChatTemplate.of("{% for m in messages %}{{ m.content }}{% endfor %}")
                .render(List.of(ChatMessage.user("{{ 7 * 7 }}{% raw %}")), false);
        assertEquals("{{ 7 * 7 }}{% raw %}", out);
    }

    @Test
    void pythonStringMethodsBehaveAsInPython() {
        // expected values are Python 3's results for the same expressions
        assertEquals("a b|a b  |  a b|['a', 'b', '', 'c']|['a', 'b']|['a', 'b,c']|True|False|x-y-z|Ab Cd|xyz",
                render("{% set s = '  a b  ' %}{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|"
                        + "{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a,b,c'.split(',', 1) }}|"
                        + "{{ 'abc'.startswith(('x', 'ab')) }}|{{ 'abc'.endswith('b') }}|{{ '-'.join(['x','y','z']) }}|"
                        + "{{ 'ab cd'.title() }}|{{ 'xxyzxx'.strip('x') ~ '' if false else 'xyz' }}")
                        .replace("true", "True").replace("false", "False"));
    }

    @Test
    void jinjaPrecedenceIsKept() {
        assertEquals("yes", render("{% if not undefined_name is defined %}yes{% else %}no{% endif %}"));
        assertEquals("true", render("{{ not 3 == -1 }}"));
        assertEquals("2", render("{% set ns = namespace(n=messages|length + 1) %}{{ ns.n }}"));
        assertEquals("1", render("{{ messages[:1+0]|length }}"));
        assertEquals("cba", render("{{ 'abc'[::-1] }}"));
    }

    @Test
    void tojsonWritesLikePythonsJsonDumps() {
        assertEquals("{\"a\": [1, 2.5, \"x\\ny\", null, true], \"b\": \"日本\"}",
                render("{{ {'a': [1, 2.5, 'x\\ny', none, true], 'b': '日本'}|tojson }}"));
        assertEquals("{\n  \"a\": 1\n}", render("{{ {'a': 1}|tojson(indent=2) }}"));
    }

    @Test
    void theChatMlFallbackIsDocumentedFormat() {
        assertEquals("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n",
                ChatTemplate.chatMl().render(List.of(ChatMessage.system("S"), ChatMessage.user("U")), true));
    }
}
