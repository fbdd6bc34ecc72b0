package io.github.ggml4j.session;

import io.github.ggml4j.CancelledException;
import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.ResourceClosedException;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.runtime.EncoderDecoderPrompts;
import io.github.ggml4j.runtime.Engine;
import io.github.ggml4j.runtime.Sequence;
import io.github.ggml4j.runtime.SessionAccess;
import io.github.ggml4j.runtime.SessionStates;
import io.github.ggml4j.tokenizer.Tokenizer;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A handle on one sequence of a {@link Model}: its positions in the model's shared KV cache and its token
 * history. Sessions are made by {@link Model#newSession}, {@link #fork()} and {@link Model#restoreSession};
 * the model's engine batches the work of all its sessions together, so many sessions on many threads cost
 * little more than one. One thread at a time uses a session (calls are serialized).
 *
 * {@snippet :
 * try (Session s = model.newSession(SessionOptions.defaults().withContextSize(2048))) {
 *     Generation g = s.generate("The capital of France is", GenerateOptions.greedy(16));
 *     System.out.println(g.text());
 *     try (Session other = s.fork()) {         // shares the cells, copies nothing
 *         other.generate(" and of Italy", GenerateOptions.greedy(8), null);
 *     }
 * }
 * }
 */
public final class Session implements AutoCloseable {

    static {
        SessionAccess.register(Session::new);
    }

    private final Model model;
    private final Engine engine;
    private final Sequence seq;
    private final SessionAccess.Owner owner;
    private final int vocabularySize;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile boolean closing;
    private volatile boolean cancelRequested;
    private boolean closed;
    private Generator stream;

    private Session(Model model, Engine engine, Sequence seq, SessionAccess.Owner owner) {
        this.model = model;
        this.engine = engine;
        this.seq = seq;
        this.owner = owner;
        this.vocabularySize = engine.model().hparams().nVocab();
    }

    /** The model this session belongs to. */
    public Model model() {
        return model;
    }

    /** Positions this session can hold. */
    public int contextSize() {
        return seq.limit();
    }

    /** Positions in use: the position the next token gets. */
    public int position() {
        lock.lock();
        try {
            ensureOpen();
            return seq.position();
        } finally {
            lock.unlock();
        }
    }

    /** The tokens this session holds, one per position (prompts and generated tokens alike). */
    public int[] tokens() {
        lock.lock();
        try {
            ensureOpen();
            return seq.tokens();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Appends tokens to the context and evaluates them; afterwards {@link #logits()} holds the last token's.
     *
     * @throws ContextOverflowException if they do not fit the remaining context, or the model's shared KV cache
     *                                  is full (unless the session waits for room)
     * @throws IllegalArgumentException if an id is outside the vocabulary
     * @throws CancelledException       if {@link #cancel()} was called meanwhile (the context is left as before)
     */
    public void evaluate(int... tokens) {
        decode(tokens, false);
    }

    /**
     * As {@link #evaluate}, returning the logits after every token (row i follows token i), for scoring and
     * perplexity.
     */
    public float[][] evaluateAll(int... tokens) {
        return decode(tokens, true);
    }

    private float[][] decode(int[] tokens, boolean allRows) {
        Objects.requireNonNull(tokens, "tokens");
        lock.lock();
        try {
            cancelRequested = false;
            ensureOpen();
            ensureNoStream();
            check(tokens);
            return engine.decode(seq, tokens.clone(), allRows);
        } finally {
            lock.unlock();
        }
    }

    private void checkPrompt(int[] promptTokens) {
        if (promptTokens.length == 0) {
            if (seq.lastOutput() == null) {
                throw new IllegalArgumentException("the prompt has no tokens and there are no logits to continue from");
            }
            return;
        }
        int free = seq.limit() - seq.position();
        if (promptTokens.length > free) {
            throw new ContextOverflowException("the prompt has " + promptTokens.length + " tokens but only " + free
                    + " of " + seq.limit() + " context positions are free", promptTokens.length, free);
        }
        check(promptTokens);
    }

    private void check(int[] tokens) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("nothing to evaluate");
        }
        for (int t : tokens) {
            if (t < 0 || t >= vocabularySize) {
                throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + vocabularySize + ")");
            }
        }
        int used = seq.position();
        if (used + tokens.length > seq.limit()) {
            throw new ContextOverflowException(tokens.length + " tokens do not fit: " + used + " of " + seq.limit()
                    + " context positions are in use", used + tokens.length, seq.limit());
        }
    }

    /**
     * How many tokens of the last evaluation were not computed but taken from a context in memory: another
     * session's common prefix, a closed session's cached prompt, or the model's host-memory prompt cache
     * ({@link io.github.ggml4j.model.ModelOptions#withPromptCache}). During a generation, from its first token
     * until the next is asked for, its prompt's.
     *
     * {@snippet :
     * try (Session s = model.newSession(); Stream<Token> tokens = s.stream(prompt, GenerateOptions.greedy(64))) {
     *     Iterator<Token> it = tokens.iterator();
     *     Token first = it.next();
     *     int cached = s.reusedTokens(); // prompt tokens this request did not compute
     * }
     * }
     */
    public int reusedTokens() {
        lock.lock();
        try {
            ensureOpen();
            return engine.lastReused(seq);
        } finally {
            lock.unlock();
        }
    }

    /** A copy of the last evaluated token's logits (one per vocabulary entry). */
    public float[] logits() {
        lock.lock();
        try {
            ensureOpen();
            return requireLogits().clone();
        } finally {
            lock.unlock();
        }
    }

    /**
     * A read-only view of the last token's logits without copying. Valid until the next call that evaluates
     * tokens on this session; reading it later may give the next token's logits.
     */
    public FloatBuffer logitsView() {
        lock.lock();
        try {
            ensureOpen();
            FloatBuffer view = seq.lastOutputView(); // native memory, not copied
            if (view == null) {
                throw new IllegalStateException("no logits yet: evaluate tokens first");
            }
            return view;
        } finally {
            lock.unlock();
        }
    }

    private float[] requireLogits() {
        float[] l = seq.lastOutput();
        if (l == null) {
            throw new IllegalStateException("no logits yet: evaluate tokens first");
        }
        return l;
    }

    /**
     * Tokenizes the prompt with the model's tokenizer and generates greedily after it.
     *
     * @throws io.github.ggml4j.ModelException     if the model has no tokenizer
     * @throws ContextOverflowException if the prompt does not fit the remaining context (case 35)
     */
    public Generation generate(String prompt, GenerateOptions options) {
        return generate(prompt, options, null);
    }

    /** As {@link #generate(String, GenerateOptions)}, streaming each token's text to {@code listener}. */
    public Generation generate(String prompt, GenerateOptions options, TokenListener listener) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(options, "options");
        Tokenizer tokenizer = model.tokenizer();
        // BOS only at the very start of the context, as llama.cpp's examples do
        boolean addSpecial = options.addSpecial() && startsContext();
        int[] tokens = tokenizer.encode(prompt, addSpecial, options.parseSpecial());
        return generate(tokens, options, listener);
    }

    /**
     * Generates greedily after the given prompt tokens (appended to what the session already holds). An empty
     * prompt continues from the last evaluated token's logits (after {@link #evaluate}, {@link #fork()} or a
     * restore).
     *
     * @param listener receives each token as it is generated; may be null
     */
    public Generation generate(int[] promptTokens, GenerateOptions options, TokenListener listener) {
        Objects.requireNonNull(promptTokens, "promptTokens");
        Objects.requireNonNull(options, "options");
        lock.lock();
        try {
            cancelRequested = false;
            ensureOpen();
            ensureNoStream();
            int[] prompt = EncoderDecoderPrompts.prepare(model, engine, seq, promptTokens.clone());
            checkPrompt(prompt);
            return generateLocked(prompt, options, listener);
        } finally {
            seq.generating(false);
            lock.unlock();
        }
    }

    private Generation generateLocked(int[] prompt, GenerateOptions options, TokenListener listener) {
        Generator g = generator(prompt, options);
        StringBuilder produced = new StringBuilder();
        while (true) {
            Token t = g.advance();
            produced.append(t.text());
            if (listener != null && (!t.isEnd() || !t.text().isEmpty())) {
                listener.onToken(t.id(), t.text());
            }
            if (t.isEnd()) {
                return g.result(produced.toString(), t.finishReason());
            }
        }
    }

    private Generator generator(int[] prompt, GenerateOptions options) {
        return new Generator(engine, seq, prompt, options, model.hasTokenizer() ? model.tokenizer() : null,
                () -> closing, () -> cancelRequested);
    }

    /**
     * Generates after the prompt lazily, one token per element the stream is asked for, ending with an element
     * that carries the {@link FinishReason}. Closing the stream stops generation (what was evaluated stays in
     * the context). While it is open the session takes no other work; use it on one thread.
     *
     * {@snippet :
     * try (Stream<Token> tokens = session.stream("Once upon a time", GenerateOptions.greedy(64))) {
     *     tokens.forEach(t -> System.out.print(t.text()));
     * }
     * }
     *
     * @throws ContextOverflowException if the prompt does not fit the remaining context
     */
    public Stream<Token> stream(String prompt, GenerateOptions options) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(options, "options");
        boolean addSpecial = options.addSpecial() && startsContext();
        return stream(model.tokenizer().encode(prompt, addSpecial, options.parseSpecial()), options);
    }

    /** As {@link #stream(String, GenerateOptions)} after prompt tokens (empty: continue from the last logits). */
    public Stream<Token> stream(int[] promptTokens, GenerateOptions options) {
        Objects.requireNonNull(promptTokens, "promptTokens");
        Objects.requireNonNull(options, "options");
        Generator g;
        lock.lock();
        try {
            cancelRequested = false;
            ensureOpen();
            ensureNoStream();
            int[] prompt = EncoderDecoderPrompts.prepare(model, engine, seq, promptTokens.clone());
            checkPrompt(prompt);
            g = generator(prompt, options);
            stream = g;
        } finally {
            lock.unlock();
        }
        Iterator<Token> it = new Iterator<>() {
            private Token next;

            @Override
            public boolean hasNext() {
                if (next == null) {
                    lock.lock();
                    try {
                        if (stream != g) {
                            return false; // closed, or ended
                        }
                        ensureOpen();
                        try {
                            next = g.advance();
                        } catch (CancelledException e) {
                            next = g.cancelledEnd(); // a stream ends with the reason rather than an exception
                        }
                        if (next == null || next.isEnd()) {
                            stream = null;
                        }
                    } catch (RuntimeException e) {
                        stream = null;
                        seq.generating(false);
                        throw e;
                    } finally {
                        lock.unlock();
                    }
                }
                return next != null;
            }

            @Override
            public Token next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Token t = next;
                next = null;
                return t;
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL),
                false).onClose(() -> {
                    lock.lock();
                    try {
                        if (stream == g) {
                            stream = null;
                            seq.generating(false);
                        }
                    } finally {
                        lock.unlock();
                    }
                });
    }

    /**
     * The best continuation by beam search: {@code width} hypotheses kept each step, all decoded in the same
     * batch, sharing their common cells through forks. Afterwards the session holds the prompt and the best
     * continuation (its cells shared with the winning beam, not recomputed).
     *
     * @throws ContextOverflowException if the prompt and {@code maxTokens} do not fit the remaining context
     */
    public Generation beamSearch(int[] promptTokens, BeamOptions options) {
        Objects.requireNonNull(promptTokens, "promptTokens");
        Objects.requireNonNull(options, "options");
        lock.lock();
        try {
            cancelRequested = false;
            ensureOpen();
            ensureNoStream();
            promptTokens = EncoderDecoderPrompts.prepare(model, engine, seq, promptTokens.clone());
            checkPrompt(promptTokens);
            int need = promptTokens.length + options.maxTokens();
            if (seq.position() + need > seq.limit()) {
                throw new ContextOverflowException("the prompt and " + options.maxTokens() + " tokens need " + need
                        + " positions but " + (seq.limit() - seq.position()) + " are free", need,
                        seq.limit() - seq.position());
            }
            return BeamSearch.search(engine, seq, model.hasTokenizer() ? model.tokenizer() : null,
                    promptTokens.clone(), options);
        } finally {
            lock.unlock();
        }
    }

    /** As {@link #beamSearch(int[], BeamOptions)} after a text prompt. */
    public Generation beamSearch(String prompt, BeamOptions options) {
        Objects.requireNonNull(prompt, "prompt");
        return beamSearch(model.tokenizer().encode(prompt, startsContext(), true), options);
    }

    /** Whether a text prompt starts the context (special tokens): at 0, and always for an encoder–decoder. */
    private boolean startsContext() {
        return position() == 0 || EncoderDecoderPrompts.isEncoderDecoder(engine);
    }

    /** Forgets the whole context. */
    public void clear() {
        truncate(0);
    }

    /** Forgets every position at or after {@code position} (to regenerate or edit the end). */
    public void truncate(int position) {
        lock.lock();
        try {
            ensureOpen();
            ensureNoStream();
            if (position < 0 || position > seq.position()) {
                throw new IllegalArgumentException("cannot truncate to " + position + "; " + seq.position()
                        + " positions are in use");
            }
            engine.truncate(seq, position);
        } finally {
            lock.unlock();
        }
    }

    /**
     * A new session holding everything this one holds (its cells are shared, not copied); each continues on
     * its own. Close it like any session.
     */
    public Session fork() {
        lock.lock();
        try {
            ensureOpen();
            ensureNoStream();
            return owner.adopt(engine.fork(seq, seq.limit(), seq.waitWhenFull()));
        } finally {
            lock.unlock();
        }
    }

    /**
     * This session's state (tokens, cache contents, last logits) as bytes, for {@link Model#restoreSession(byte[])}
     * in this or another process with the same model file.
     */
    public byte[] saveState() {
        lock.lock();
        try {
            ensureOpen();
            ensureNoStream();
            return SessionStates.save(engine, seq);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes {@link #saveState()} to a file atomically (a temporary file, synced, then renamed): the target is
     * complete or absent.
     *
     * @throws StorageException if the file cannot be written
     */
    public void saveState(Path file) {
        Objects.requireNonNull(file, "file");
        SessionStates.write(file, saveState());
    }

    /**
     * Asks a running evaluation or generation on another thread to stop soon; it ends with a
     * {@link CancelledException} and the session stays usable. Other sessions of the model go on. Does nothing
     * when idle.
     */
    public void cancel() {
        cancelRequested = true;
        engine.cancel(seq, new CancelledException("cancelled"));
    }

    private void ensureOpen() {
        if (closed || closing) {
            throw new ResourceClosedException("session is closed");
        }
    }

    /** Work other than the open stream's own steps waits for the stream to be closed or to end. */
    private void ensureNoStream() {
        if (stream != null) {
            throw new IllegalStateException("a token stream of this session is open; close it first");
        }
    }

    /**
     * Releases the session's sequence. A computation running on another thread is stopped and this waits for
     * it; that thread gets a {@link ResourceClosedException}. Its cells may stay cached for prefix reuse
     * ({@link io.github.ggml4j.model.ModelOptions#cachedPrompts()}).
     */
    @Override
    public void close() {
        closing = true;
        engine.cancel(seq, new ResourceClosedException("session closed during computation"));
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lock.unlock();
        }
        owner.closed(this, seq);
    }
}
