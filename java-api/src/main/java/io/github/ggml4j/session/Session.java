package io.github.ggml4j.session;

import io.github.ggml4j.CancelledException;
import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.GenerationException;
import io.github.ggml4j.ResourceClosedException;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.runtime.Decoder;
import io.github.ggml4j.runtime.LoadedModel;
import io.github.ggml4j.runtime.ModelAccess;
import io.github.ggml4j.tokenizer.StreamingDecoder;
import io.github.ggml4j.tokenizer.Tokenizer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A conversation state over a {@link Model}: its own KV cache, compute buffers and threads. One thread at a
 * time uses a session (calls are serialized); many sessions may run at once on one model.
 *
 * {@snippet :
 * try (Session s = model.newSession(SessionOptions.defaults().withContextSize(2048))) {
 *     Generation g = s.generate("The capital of France is", GenerateOptions.greedy(16));
 *     System.out.println(g.text());
 * }
 * }
 */
public final class Session implements AutoCloseable {

    private final Model model;
    private final LoadedModel loaded;
    private final Decoder decoder;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile boolean closing;
    private boolean closed;
    private int logitRows;

    /** A session on {@code model}; the same as {@link Model#newSession(SessionOptions)}. */
    public Session(Model model, SessionOptions options) {
        this.model = Objects.requireNonNull(model, "model");
        Objects.requireNonNull(options, "options");
        ModelAccess.Accessor access = ModelAccess.get();
        this.loaded = access.loaded(model);
        HParams hp = loaded.hparams();
        int ctx = options.contextSize() == 0 ? Math.min(4096, hp.nCtxTrain()) : options.contextSize();
        // tracked before the decoder is built, and built under the session lock: a Model.close() on another
        // thread then waits for construction to end instead of freeing the weights the graph is built from
        lock.lock();
        try {
            access.track(model, this);
            try {
                this.decoder = new Decoder(loaded, new Decoder.Options(ctx, Math.min(options.batchSize(), ctx),
                        options.threads(), options.flashAttention(), GgmlType.fromName(options.kvCacheType())));
            } catch (RuntimeException | Error e) {
                closed = true;
                access.untrack(model, this);
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    /** The model this session belongs to. */
    public Model model() {
        return model;
    }

    /** Positions this session can hold. */
    public int contextSize() {
        return decoder.cache().capacity();
    }

    /** Positions in use: the position the next token gets. */
    public int position() {
        lock.lock();
        try {
            ensureOpen();
            return decoder.cache().used();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Appends tokens to the context and evaluates them; afterwards {@link #logits()} holds the last token's.
     *
     * @throws ContextOverflowException if they do not fit the remaining context
     * @throws IllegalArgumentException if an id is outside the vocabulary
     * @throws CancelledException       if {@link #cancel()} was called meanwhile (the context is left as before)
     */
    public void evaluate(int... tokens) {
        Objects.requireNonNull(tokens, "tokens");
        lock.lock();
        try {
            decoder.clearCancel(); // before ensureOpen: a close() racing with this call is then never missed
            ensureOpen();
            run(() -> logitRows = decoder.evaluate(tokens, 0, tokens.length, false));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Appends tokens to the context, evaluates them, and returns the logits of every one of them (row {@code i}
     * holds what the model predicts after {@code tokens[i]}). Used to score text, as perplexity does.
     *
     * {@snippet :
     * float[][] rows = session.evaluateAll(tokens);     // rows.length == tokens.length
     * float next = rows[rows.length - 1][someToken];     // the same row as logits() now returns
     * }
     *
     * @throws ContextOverflowException if they do not fit the remaining context
     * @throws IllegalArgumentException if an id is outside the vocabulary
     * @throws CancelledException       if {@link #cancel()} was called meanwhile
     */
    public float[][] evaluateAll(int... tokens) {
        Objects.requireNonNull(tokens, "tokens");
        lock.lock();
        try {
            decoder.clearCancel();
            ensureOpen();
            int nVocab = decoder.hparams().nVocab();
            for (int t : tokens) {
                if (t < 0 || t >= nVocab) {
                    throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + nVocab + ")");
                }
            }
            float[][] out = new float[tokens.length][];
            run(() -> {
                // the decoder returns every row for at most one micro-batch per call: start at 512 and halve
                // while the (checked-before-anything-changes) limit refuses the chunk
                int chunk = Math.max(1, Math.min(512, tokens.length));
                for (int at = 0; at < tokens.length; ) {
                    int n = Math.min(chunk, tokens.length - at);
                    int rows;
                    try {
                        rows = decoder.evaluate(tokens, at, n, true);
                    } catch (IllegalArgumentException e) {
                        if (chunk == 1 || !String.valueOf(e.getMessage()).startsWith("logits for every token")) {
                            throw e;
                        }
                        chunk /= 2;
                        continue;
                    }
                    for (int i = 0; i < rows; i++) {
                        out[at + i] = decoder.logits(i);
                    }
                    logitRows = rows;
                    at += n;
                }
            });
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** A copy of the last evaluated token's logits (one per vocabulary entry). */
    public float[] logits() {
        lock.lock();
        try {
            ensureOpen();
            requireLogits();
            return decoder.logits(logitRows - 1);
        } finally {
            lock.unlock();
        }
    }

    /**
     * A read-only view of the last token's logits without copying. Valid until the next call that evaluates
     * tokens or closes the session; reading it later gives undefined values or a {@link IllegalStateException}.
     */
    public FloatBuffer logitsView() {
        lock.lock();
        try {
            ensureOpen();
            requireLogits();
            MemorySegment seg = decoder.logitsSegment(logitRows - 1);
            return seg.asByteBuffer().order(ByteOrder.nativeOrder()).asReadOnlyBuffer().asFloatBuffer();
        } finally {
            lock.unlock();
        }
    }

    private void requireLogits() {
        if (logitRows == 0) {
            throw new IllegalStateException("no logits yet: evaluate tokens first");
        }
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
        boolean addSpecial = options.addSpecial() && position() == 0;
        int[] tokens = tokenizer.encode(prompt, addSpecial, options.parseSpecial());
        return generate(tokens, options, listener);
    }

    /**
     * Generates greedily after the given prompt tokens (appended to what the session already holds).
     *
     * @param listener receives each token as it is generated; may be null
     */
    public Generation generate(int[] promptTokens, GenerateOptions options, TokenListener listener) {
        Objects.requireNonNull(promptTokens, "promptTokens");
        Objects.requireNonNull(options, "options");
        if (promptTokens.length == 0) {
            throw new IllegalArgumentException("the prompt has no tokens");
        }
        lock.lock();
        try {
            decoder.clearCancel();
            ensureOpen();
            return run(() -> generateLocked(promptTokens, options, listener));
        } finally {
            lock.unlock();
        }
    }

    private Generation generateLocked(int[] prompt, GenerateOptions options, TokenListener listener) {
        int free = decoder.cache().capacity() - decoder.cache().used();
        if (prompt.length > free) {
            throw new ContextOverflowException("the prompt has " + prompt.length + " tokens but only " + free + " of "
                    + decoder.cache().capacity() + " context positions are free", prompt.length, free);
        }
        long t0 = System.nanoTime();
        logitRows = decoder.evaluate(prompt, 0, prompt.length, false);
        long t1 = System.nanoTime();
        int[] out = new int[Math.min(options.maxTokens(), 1024)];
        int n = 0;
        FinishReason reason = FinishReason.MAX_TOKENS;
        int[] one = new int[1];
        Tokenizer tokenizer = loaded.tokenizer().orElse(null);
        StreamingDecoder text = tokenizer == null ? null : tokenizer.streamingDecoder(true);
        StringBuilder produced = new StringBuilder();
        StopMatcher stops = new StopMatcher(options.stop());
        while (true) {
            int next = argmax(decoder.logitsSegment(logitRows - 1));
            if (tokenizer != null && tokenizer.isEndOfGeneration(next)) {
                reason = FinishReason.END_OF_GENERATION;
                break;
            }
            if (n == out.length) {
                out = Arrays.copyOf(out, Math.min(options.maxTokens(), out.length * 2));
            }
            out[n++] = next;
            String piece = text == null ? "" : text.next(next);
            String emitted = stops.accept(piece);
            produced.append(emitted);
            if (listener != null) {
                listener.onToken(next, emitted);
            }
            if (stops.matched()) {
                reason = FinishReason.STOP_STRING;
                break;
            }
            if (n >= options.maxTokens()) {
                break;
            }
            if (decoder.cache().used() >= decoder.cache().capacity()) {
                reason = FinishReason.CONTEXT_FULL;
                break;
            }
            if (closing) {
                throw new ResourceClosedException("session closed during generation");
            }
            if (decoder.cancelRequested()) {
                // requested between steps (e.g. from the listener): the next compute would not see it soon
                throw new CancelledException("generation cancelled after " + n + " tokens");
            }
            one[0] = next;
            logitRows = decoder.evaluate(one, 0, 1, false);
        }
        if (!stops.matched()) {
            String tail = stops.finish(text == null ? "" : text.finish());
            produced.append(tail);
            if (listener != null && !tail.isEmpty()) {
                listener.onToken(-1, tail);
            }
        }
        long t2 = System.nanoTime();
        return new Generation(produced.toString(), Arrays.copyOf(out, n), prompt.length, reason, t1 - t0, t2 - t1);
    }

    /**
     * The most likely token; ties go to the lowest id. Non-finite logits mean broken weights (NaN/Inf) and stop
     * generation instead of emitting garbage.
     */
    static int argmax(MemorySegment logits) {
        long n = logits.byteSize() / 4;
        int best = -1;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float v = logits.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            if (!Float.isFinite(v)) {
                throw new GenerationException("the model produced a non-finite logit (" + v + ") for token " + i
                        + "; its weights are probably broken (NaN or Inf)");
            }
            if (best < 0 || v > bestValue) {
                best = i;
                bestValue = v;
            }
        }
        return best;
    }

    /** Forgets the whole context. */
    public void clear() {
        lock.lock();
        try {
            ensureOpen();
            decoder.cache().clear();
            logitRows = 0;
        } finally {
            lock.unlock();
        }
    }

    /** Forgets every position at or after {@code position} (to regenerate or edit the end). */
    public void truncate(int position) {
        lock.lock();
        try {
            ensureOpen();
            decoder.cache().truncate(position);
            logitRows = 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Asks a running evaluation or generation on another thread to stop soon; it ends with a
     * {@link CancelledException} and the session stays usable. Does nothing when idle.
     */
    public void cancel() {
        decoder.requestCancel();
    }

    private interface Work<T> {
        T run();
    }

    private <T> T run(Work<T> work) {
        try {
            return work.run();
        } catch (CancelledException e) {
            if (closing) {
                throw new ResourceClosedException("session closed during computation");
            }
            throw e;
        }
    }

    private void run(Runnable work) {
        run(() -> {
            work.run();
            return null;
        });
    }

    private void ensureOpen() {
        if (closed || closing) {
            throw new ResourceClosedException("session is closed");
        }
    }

    /**
     * Frees the session's native resources. A computation running on another thread is cancelled and this
     * waits for it to stop; that thread gets a {@link ResourceClosedException}.
     */
    @Override
    public void close() {
        closing = true;
        Decoder d = decoder; // null while a constructor on another thread is still building it
        if (d != null) {
            d.requestCancel();
        }
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            decoder.close();
        } finally {
            lock.unlock();
        }
        ModelAccess.get().untrack(model, this);
    }
}
