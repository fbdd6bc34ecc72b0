package io.github.ggml4j.engine;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Session;

import java.nio.file.Path;
import java.util.Arrays;

/** Run in a fresh JVM: restores a saved session and continues it greedily; prints {@code tokens=[...]}. */
public final class RestoreChild {

    private RestoreChild() {
    }

    public static void main(String[] args) {
        Path model = Path.of(args[0]);
        Path state = Path.of(args[1]);
        int token = Integer.parseInt(args[2]);
        int n = Integer.parseInt(args[3]);
        try (Model m = Model.load(model, SequenceOpsTest.engine()); Session s = m.restoreSession(state)) {
            System.out.println("position=" + s.position());
            System.out.println("tokens=" + Arrays.toString(s.generate(new int[] {token}, GenerateOptions.greedy(n), null)
                    .tokens()));
        }
    }
}
