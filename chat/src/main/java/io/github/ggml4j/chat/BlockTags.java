package io.github.ggml4j.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;

/** Block tags and filters of Jinja (and of Hugging Face's chat templates) that Jinjava lacks or lacks parts of. */
final class BlockTags {

    private BlockTags() {
    }

    private static String body(TagNode node, JinjavaInterpreter interpreter) {
        StringBuilder b = new StringBuilder();
        for (Node child : node.getChildren()) {
            b.append(child.render(interpreter).getValue());
            Sandbox.current().checkString(b.length());
        }
        return b.toString();
    }

    /**
     * {@code {% generation %}…{% endgeneration %}}: Hugging Face marks the assistant's tokens with it (for
     * training masks); for rendering it is its body.
     */
    static final class Generation implements Tag {
        private static final long serialVersionUID = 1L;

        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String interpret(TagNode node, JinjavaInterpreter interpreter) {
            return body(node, interpreter);
        }
    }

    /** {@code {% filter name %}…{% endfilter %}}: the body passed through a filter. */
    static final class FilterBlock implements Tag {
        private static final long serialVersionUID = 1L;

        @Override
        public String getName() {
            return "filter";
        }

        @Override
        public String interpret(TagNode node, JinjavaInterpreter interpreter) {
            String name = node.getHelpers().strip();
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new Sandbox.Violation("{% filter " + name + " %}: only a filter name without arguments is "
                        + "supported");
            }
            Filter f = interpreter.getContext().getFilter(name);
            if (f == null) {
                throw new Sandbox.Violation("{% filter " + name + " %}: no such filter");
            }
            return PyMethods.str(f.filter(body(node, interpreter), interpreter));
        }
    }

    /**
     * Jinjava's {@code for}, which also tells the sandbox the loop's items, so that {@code loop.previtem} and
     * {@code loop.nextitem} (Jinja 2.10, used by Hermes and Qwen tool templates) can be read.
     */
    static final class ForWithItems extends com.hubspot.jinjava.lib.tag.ForTag {
        private static final long serialVersionUID = 1L;

        @Override
        public String renderForCollection(TagNode tagNode, JinjavaInterpreter interpreter, java.util.List<String> loopVars,
                                          Object collection) {
            java.util.List<Object> items = null;
            Object loopOver = collection;
            if (collection instanceof Iterable<?> it && !(collection instanceof java.util.Map<?, ?>)) {
                // read once (a filter's result may be a one-shot iterable), and loop over what was read
                java.util.List<Object> raw = new java.util.ArrayList<>();
                items = new java.util.ArrayList<>();
                for (Object o : it) {
                    raw.add(o);
                    items.add(interpreter.wrap(o));
                    Sandbox.current().step();
                }
                loopOver = raw;
            }
            Sandbox.Limits l = Sandbox.current();
            l.enterLoop(items);
            try {
                return super.renderForCollection(tagNode, interpreter, loopVars, loopOver);
            } finally {
                l.exitLoop();
            }
        }
    }

    /**
     * Jinja's {@code items} filter (Jinja 3.1): a mapping's (key, value) pairs, as {@code d.items()} gives them;
     * undefined is an empty list. Hermes' tool template loops over {@code parameters.properties|items}.
     */
    static final class ItemsFilter implements Filter {

        @Override
        public String getName() {
            return "items";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (var == null) {
                return Sandbox.list(new java.util.ArrayList<>());
            }
            if (!(var instanceof java.util.Map<?, ?> m)) {
                throw new Sandbox.Violation("items needs a mapping, not " + var.getClass().getSimpleName());
            }
            java.util.List<Object> pairs = new java.util.ArrayList<>();
            for (java.util.Map.Entry<?, ?> e : m.entrySet()) {
                pairs.add(Sandbox.list(new java.util.ArrayList<>(java.util.Arrays.asList(e.getKey(), e.getValue()))));
            }
            return Sandbox.list(pairs);
        }
    }
}
