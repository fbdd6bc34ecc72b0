package io.github.ggml4j.langchain4j;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.model.TokenCountEstimator;
import io.github.ggml4j.chat.ChatTemplate;
import io.github.ggml4j.chat.TemplateLimits;
import io.github.ggml4j.model.Model;

import java.util.List;
import java.util.Objects;

/**
 * A LangChain4j {@link TokenCountEstimator} with a model's own tokenizer and chat template: exact counts, not
 * estimates. A text counts its tokens alone; messages count what the chat template renders for them (without the
 * assistant's generation prompt), with BOS when the vocabulary adds one.
 *
 * {@snippet :
 * TokenCountEstimator tokens = Ggml4jTokenCountEstimator.builder().model(model).build();
 * int n = tokens.estimateTokenCountInText("How many tokens is this?");
 * }
 */
public final class Ggml4jTokenCountEstimator implements TokenCountEstimator {

    private final Model model;
    private final ChatTemplate template;

    private Ggml4jTokenCountEstimator(Model model, ChatTemplate template) {
        this.model = model;
        this.template = template;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public int estimateTokenCountInText(String text) {
        Objects.requireNonNull(text, "text");
        return model.tokenizer().encode(text, false, true).length;
    }

    @Override
    public int estimateTokenCountInMessage(ChatMessage message) {
        return estimateTokenCountInMessages(List.of(message));
    }

    @Override
    public int estimateTokenCountInMessages(Iterable<ChatMessage> messages) {
        Objects.requireNonNull(messages, "messages");
        List<io.github.ggml4j.chat.ChatMessage> list = Messages.convert(messages);
        if (list.isEmpty()) {
            return 0;
        }
        var tok = model.tokenizer();
        int[] ids = tok.encode(template.render(list, false), false, true);
        int bos = tok.specialTokens().bos();
        boolean addBos = tok.addsBos() && bos >= 0 && (ids.length == 0 || ids[0] != bos);
        return ids.length + (addBos ? 1 : 0);
    }

    /** Builds a {@link Ggml4jTokenCountEstimator} over a loaded model (which the caller keeps and closes). */
    public static final class Builder {

        private Model model;
        private String chatTemplate;

        private Builder() {
        }

        public Builder model(Model v) {
            this.model = v;
            return this;
        }

        /** A Jinja chat template instead of the file's. */
        public Builder chatTemplate(String v) {
            this.chatTemplate = v;
            return this;
        }

        public Ggml4jTokenCountEstimator build() {
            if (model == null) {
                throw new IllegalArgumentException("model(...) is required");
            }
            ChatTemplate t = chatTemplate != null ? ChatTemplate.of(chatTemplate, model, TemplateLimits.DEFAULT)
                    : ChatTemplate.forModel(model);
            model.tokenizer(); // fails now for a model without a vocabulary
            return new Ggml4jTokenCountEstimator(model, t);
        }
    }
}
