package io.github.ggml4j.runtime;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.session.Session;

/**
 * How {@link Model} makes sessions, which have no public constructor (the JDK's "shared secrets" pattern):
 * the session package registers its factory here. Nothing reaches back into the model: it hands each session
 * an {@link Owner} to report to.
 */
public final class SessionAccess {

    /** What a session reports to the model that made it. */
    public interface Owner {
        /** A new session (a fork, a restored state) on a sequence of the same engine. */
        Session adopt(Sequence seq);

        /** The session closed; the owner releases its sequence. */
        void closed(Session session, Sequence seq);
    }

    /** Makes a session on a sequence. */
    public interface Factory {
        Session open(Model model, Engine engine, Sequence seq, Owner owner);
    }

    private static volatile Factory factory;

    private SessionAccess() {
    }

    public static void register(Factory f) {
        factory = f;
    }

    public static Factory get() {
        Factory f = factory;
        if (f == null) {
            try {
                Class.forName(Session.class.getName(), true, Session.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            f = factory;
        }
        return f;
    }
}
