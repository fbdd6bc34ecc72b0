package io.github.ggml4j.runtime;

import io.github.ggml4j.model.Model;

/**
 * The bridge from the exported {@link Model} facade to its native side, for ggml4j's own tools and tests
 * (the JDK's "shared secrets" pattern): nothing native appears in Model's public API.
 */
public final class ModelAccess {

    /** What Model offers its own library. */
    public interface Accessor {
        /** The native model; throws ResourceClosedException after close. */
        LoadedModel loaded(Model model);

        /** The model's engine, started if needed. */
        Engine engine(Model model);

        /** An encoder–decoder model's encoder engine, started if needed. */
        Engine encoderEngine(Model model);
    }

    private static volatile Accessor accessor;

    private ModelAccess() {
    }

    public static void register(Accessor a) {
        accessor = a;
    }

    public static Accessor get() {
        Accessor a = accessor;
        if (a == null) {
            try {
                Class.forName(Model.class.getName(), true, Model.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            a = accessor;
        }
        return a;
    }
}
