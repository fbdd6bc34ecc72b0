package io.github.ggml4j.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;

/** Block tags of Jinja (and of Hugging Face's chat templates) that Jinjava lacks. */
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
}
