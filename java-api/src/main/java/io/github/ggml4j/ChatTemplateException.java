package io.github.ggml4j;

/**
 * A chat template cannot be parsed or rendered: a Jinja feature the renderer does not support, a template that
 * calls {@code raise_exception}, or one stopped by the sandbox (too much output, too many steps, too long a render,
 * an attempt to reach a Java object). The message names the template feature or limit.
 */
public final class ChatTemplateException extends Ggml4jException {

    private static final long serialVersionUID = 1L;

    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
