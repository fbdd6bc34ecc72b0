package example.embed;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Session;

import java.nio.file.Path;

/** Loads a GGUF model and streams a greedy completion of a prompt: {@code Embed MODEL.gguf [PROMPT] [N]}. */
public final class Embed {

    private Embed() {
    }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: Embed MODEL.gguf [PROMPT] [N]");
            System.exit(2);
        }
        String prompt = args.length > 1 ? args[1] : "Once upon a time";
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        try (Model model = Model.load(Path.of(args[0]), ModelOptions.defaults());
             Session session = model.newSession();
             var tokens = session.stream(prompt, GenerateOptions.greedy(n))) {
            System.out.print(prompt);
            tokens.forEach(t -> System.out.print(t.text()));
            System.out.println();
        }
    }
}
