package io.github.ggml4j.model;

import io.github.ggml4j.ModelException;
import io.github.ggml4j.ResourceClosedException;
import io.github.ggml4j.arch.EncoderParams;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufTensorInfo;
import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.StorageException;
import io.github.ggml4j.runtime.Embeddings;
import io.github.ggml4j.runtime.EncoderDecoderPrompts;
import io.github.ggml4j.runtime.Engine;
import io.github.ggml4j.runtime.EngineOptions;
import io.github.ggml4j.runtime.LoadedModel;
import io.github.ggml4j.runtime.ModelAccess;
import io.github.ggml4j.runtime.Sequence;
import io.github.ggml4j.runtime.SessionAccess;
import io.github.ggml4j.runtime.SessionStates;
import io.github.ggml4j.runtime.WeightLoader;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A loaded model: weights mapped from a GGUF file (zero-copy where possible), and one engine that runs every
 * session of the model in shared batches over one KV cache and one CPU thread pool. Thread safe: many
 * sessions, on many threads, share one model. Closing the model closes its sessions first.
 *
 * {@snippet :
 * try (Model model = Model.load(Path.of("tinyllama-q4_0.gguf"));
 *      Session session = model.newSession()) {
 *     Generation g = session.generate("Once upon a time", GenerateOptions.greedy(32));
 *     System.out.println(g.text());
 * }
 * }
 */
public final class Model implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("io.github.ggml4j.model");

    static {
        ModelAccess.register(new ModelAccess.Accessor() {
            @Override
            public LoadedModel loaded(Model model) {
                return model.loaded();
            }

            @Override
            public Engine engine(Model model) {
                return model.engine();
            }

            @Override
            public Engine encoderEngine(Model model) {
                return model.encoderEngine();
            }
        });
    }

    private final Path path;
    private final LoadedModel loaded;
    private final ModelOptions options;
    private final Set<Session> children = new LinkedHashSet<>();
    private final SessionAccess.Owner owner = new SessionAccess.Owner() {
        @Override
        public Session adopt(Sequence seq) {
            return open(seq);
        }

        @Override
        public void closed(Session session, Sequence seq) {
            Engine e;
            synchronized (Model.this) {
                children.remove(session);
                e = engine;
            }
            if (e != null) {
                e.release(seq);
            }
        }
    };
    private Engine engine;
    private Engine encoderEngine;
    private boolean warnedTrainedContext;
    private boolean closed;

    private Model(Path path, LoadedModel loaded, ModelOptions options) {
        this.path = path;
        this.loaded = loaded;
        this.options = options;
    }

    /** Loads a model with {@link ModelOptions#defaults()}. */
    public static Model load(Path path) {
        return load(path, ModelOptions.defaults());
    }

    /**
     * Loads a model. Every tensor's presence, shape and type is checked against the architecture first. The
     * engine (KV cache, compute buffers, decode thread) starts with the first session.
     *
     * @throws io.github.ggml4j.GgufFormatException   if the file is not valid GGUF
     * @throws io.github.ggml4j.ModelException        for an unknown architecture, inconsistent hyper-parameters,
     *                                                or a missing or mis-shaped tensor
     * @throws io.github.ggml4j.StorageException      if the file cannot be read
     * @throws io.github.ggml4j.rpc.RpcException      if an RPC server of the options cannot be used (unknown host,
     *                                                refused, no answer, another protocol version)
     */
    public static Model load(Path path, ModelOptions options) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        LoadedModel lm = LoadedModel.load(path,
                new WeightLoader.Placement(options.mmap(), options.repack(), options.gpuLayers(),
                        options.disabledBufferTypes(), options.mainDevice(), options.splitMode() == SplitMode.LAYER,
                        options.mlock(), options.rpcServers(), options.tensorSplit()));
        return new Model(path, lm, options);
    }

    /** The options this model was loaded with. */
    public ModelOptions options() {
        return options;
    }

    /** A session with default options (context up to the model's trained length, within the shared cache). */
    public Session newSession() {
        return newSession(SessionOptions.defaults());
    }

    /**
     * A new session: an empty sequence in the model's shared KV cache.
     *
     * @throws ContextOverflowException if the session's context is larger than the model's KV cache
     * @throws io.github.ggml4j.InsufficientMemoryException if the engine's first start needs more memory than
     *                                                     the machine has (nothing is allocated then)
     */
    public Session newSession(SessionOptions sessionOptions) {
        Objects.requireNonNull(sessionOptions, "sessionOptions");
        requireDecoder();
        Engine e = engine();
        return open(e.newSequence(limit(sessionOptions), sessionOptions.waitWhenFull()));
    }

    /** A session holding a state saved by {@link Session#saveState(Path)}, with default session options. */
    public Session restoreSession(Path file) {
        return restoreSession(file, SessionOptions.defaults());
    }

    /**
     * A session holding a state saved by {@link Session#saveState(Path)}.
     *
     * @throws io.github.ggml4j.SessionStateException if the file is truncated, damaged, or from another model
     * @throws StorageException                      if the file cannot be read
     */
    public Session restoreSession(Path file, SessionOptions sessionOptions) {
        Objects.requireNonNull(file, "file");
        byte[] state;
        try {
            state = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new StorageException("cannot read the session state " + file + ": " + e.getMessage(), e);
        }
        return restoreSession(state, sessionOptions);
    }

    /** A session holding a state from {@link Session#saveState()}, with default session options. */
    public Session restoreSession(byte[] state) {
        return restoreSession(state, SessionOptions.defaults());
    }

    /** A session holding a state from {@link Session#saveState()}. */
    public Session restoreSession(byte[] state, SessionOptions sessionOptions) {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(sessionOptions, "sessionOptions");
        requireDecoder();
        Engine e = engine();
        return open(SessionStates.restore(e, state, limit(sessionOptions), sessionOptions.waitWhenFull()));
    }

    /** The positions a session may hold: its own setting, within the shared cache. */
    private int limit(SessionOptions o) {
        EngineOptions eo = engine().options();
        int trained = loaded().hparams().nCtxTrain();
        // a rolling buffer holds any length in its window; a full cache holds what its cells do
        // KV streams hold a stream's cells per session (a memory without streams ignores the option)
        int cells = eo.rolling() && !loaded().hparams().mixedSwa() ? Integer.MAX_VALUE
                : eo.kvStreams() > 1 ? Math.min(eo.cells(), engine().maxPositions()) : eo.cells();
        int limit = o.contextSize() == 0 ? Math.min(cells, trained) : o.contextSize();
        int positions = loaded().recipe().maxPositions(loaded().hparams());
        if (limit > positions) {
            throw new ContextOverflowException("a session of " + limit + " positions exceeds the " + positions
                    + " the model's learned position embeddings cover", limit, positions);
        }
        if (limit > cells) {
            throw new ContextOverflowException("a session of " + limit + " positions does not fit the model's KV cache of "
                    + cells + " cells" + (cells < eo.cells() ? " per stream (" + eo.kvStreams() + " streams)" : "")
                    + "; load the model with ModelOptions.withContextSize(" + (long) limit * eo.kvStreams()
                    + ") or more", limit, cells);
        }
        synchronized (this) {
            if (limit > trained && !warnedTrainedContext) {
                warnedTrainedContext = true;
                LOG.log(System.Logger.Level.WARNING, "a context of " + limit + " positions exceeds the " + trained
                        + " the model was trained with; quality may drop past " + trained);
            }
        }
        return limit;
    }

    private Session open(Sequence seq) {
        Engine e;
        synchronized (this) {
            e = engine;
        }
        Session s = SessionAccess.get().open(this, e, seq, owner);
        synchronized (this) {
            if (!closed) {
                children.add(s);
                return s;
            }
        }
        e.release(seq);
        throw new ResourceClosedException("model " + path.getFileName() + " is closed");
    }

    /** An encoder–decoder's encoder engine over the same weights, started on first use. */
    private synchronized Engine encoderEngine() {
        if (encoderEngine == null) {
            encoderEngine = EncoderDecoderPrompts.startEncoder(loaded, engine().options());
        }
        return encoderEngine;
    }

    /** The engine, started on first use. */
    private synchronized Engine engine() {
        if (closed) {
            throw new ResourceClosedException("model " + path.getFileName() + " is closed");
        }
        if (engine == null) {
            int cells = (int) Math.min(ModelOptions.MAX_CONTEXT, ((long) options.contextSize() + 255) / 256 * 256);
            int window = options.slidingWindow() < 0 ? loaded.hparams().slidingWindow() : options.slidingWindow();
            boolean rolling = window > 0 && options.kvLayout() == KvLayout.ROLLING;
            if (rolling && !loaded.hparams().mixedSwa()) {
                // blocks of exactly W slots: as many sequences as the context size holds windows, at least one
                cells = (int) Math.max(window, (long) options.contextSize() / window * window);
            }
            engine = Engine.start(loaded, new EngineOptions(cells, options.batchSize(), options.threads(),
                    options.flashAttention(), options.kvCacheType().ggmlType(), options.cachedPrompts(), window,
                    rolling, rolling ? 1 : options.kvStreams(), options.promptCacheBytes()));
        }
        return engine;
    }

    // ---- encoders ----------------------------------------------------------------------------------------

    /**
     * How this encoder pools its token states into one vector per input (from {@code <arch>.pooling_type});
     * empty for a decoder, which generates text instead.
     */
    public java.util.Optional<Pooling> pooling() {
        EncoderParams e = loaded().hparams().encoder();
        return e == null ? java.util.Optional.empty() : java.util.Optional.of(e.pooling());
    }

    /** {@link #embed(List, boolean)} with L2 normalisation, as llama.cpp's embedding tools default to. */
    public float[][] embed(List<String> texts) {
        return embed(texts, true);
    }

    /**
     * Sentence embeddings: one pooled vector per text, in order, the texts batched together into shared steps.
     * Each text is tokenized with the model's special tokens ({@code [CLS] ... [SEP]} for BERT).
     *
     * {@snippet :
     * try (Model m = Model.load(Path.of("bge-small-en-v1.5-q8_0.gguf"))) {
     *     float[][] v = m.embed(List.of("The cat sat.", "A cat was sitting."));
     *     double cosine = 0;
     *     for (int i = 0; i < v[0].length; i++) cosine += v[0][i] * v[1][i]; // unit vectors
     * }
     * }
     *
     * @param normalize scale each vector to unit Euclidean length
     * @throws ModelException           if the model is not an encoder, a reranker, or pools nothing
     * @throws ContextOverflowException if a text has more tokens than one micro-batch or the trained positions
     */
    public float[][] embed(List<String> texts, boolean normalize) {
        Pooling p = requireEncoder("embed");
        if (p == Pooling.RANK) {
            throw new ModelException(path.getFileName() + " is a reranker (pooling rank): use rank(query, documents)");
        }
        if (p == Pooling.NONE) {
            throw new ModelException(path.getFileName() + " pools nothing (pooling none): use embedTokens(text)");
        }
        List<int[]> inputs = new ArrayList<>(texts.size());
        for (String t : texts) {
            inputs.add(tokenizer().encode(Objects.requireNonNull(t, "text"), true, true));
        }
        float[][] v = Embeddings.pooled(engine(), inputs, maxPositions());
        return normalize ? normalized(v) : v;
    }

    /**
     * One vector per token of {@code text}, for an encoder without pooling (pooling none).
     *
     * @throws ModelException if the model is not an encoder, or pools its outputs
     */
    public float[][] embedTokens(String text, boolean normalize) {
        Objects.requireNonNull(text, "text");
        Pooling p = requireEncoder("embedTokens");
        if (p != Pooling.NONE) {
            throw new ModelException(path.getFileName() + " pools its outputs (pooling " + p.name().toLowerCase(
                    java.util.Locale.ROOT) + "): use embed(texts)" + (p == Pooling.RANK ? " or rank" : ""));
        }
        float[][] v = Embeddings.perToken(engine(), tokenizer().encode(text, true, true), maxPositions());
        return normalize ? normalized(v) : v;
    }

    /**
     * Relevance scores of a cross-encoder reranker (pooling rank): each document is paired with the query as
     * the model's {@code rerank} template says, or as {@code query [SEP] document}, and scored by the
     * classification head (the first output when it has several). Higher is more relevant.
     *
     * {@snippet :
     * float[] scores = reranker.rank("what is panda?", List.of("hi", "The giant panda is a bear."));
     * }
     *
     * @throws ModelException if the model is not a reranker
     */
    public float[] rank(String query, List<String> documents) {
        Objects.requireNonNull(query, "query");
        if (requireEncoder("rank") != Pooling.RANK) {
            throw new ModelException(path.getFileName() + " is not a reranker (its pooling is "
                    + pooling().orElseThrow().name().toLowerCase(java.util.Locale.ROOT) + "): use embed(texts)");
        }
        Tokenizer t = tokenizer();
        java.util.Optional<String> template = chatTemplate("rerank");
        List<int[]> inputs = new ArrayList<>(documents.size());
        for (String doc : documents) {
            Objects.requireNonNull(doc, "document");
            String text = template.map(tpl -> tpl.replace("{query}", query).replace("{document}", doc))
                    .orElseGet(() -> query + pairSeparator(t) + doc);
            inputs.add(t.encode(text, true, true));
        }
        float[][] v = Embeddings.pooled(engine(), inputs, maxPositions());
        float[] scores = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            scores[i] = v[i][0];
        }
        return scores;
    }

    /** What joins a pair for a reranker, as llama.cpp's embedding tool joins it: EOS if added, SEP if added. */
    private String pairSeparator(Tokenizer t) {
        StringBuilder sb = new StringBuilder();
        if (t.addsEos()) {
            sb.append(t.tokenText(t.specialTokens().eos()));
        }
        boolean addSep = loaded().file().metadata().optBool("tokenizer.ggml.add_sep_token")
                .orElse(t.model() == io.github.ggml4j.tokenizer.TokenizerModel.WPM);
        if (addSep && t.specialTokens().sep() >= 0) {
            sb.append(t.tokenText(t.specialTokens().sep()));
        }
        return sb.toString();
    }

    private int maxPositions() {
        return loaded().recipe().maxPositions(loaded().hparams());
    }

    private static float[][] normalized(float[][] v) {
        float[][] out = new float[v.length][];
        for (int i = 0; i < v.length; i++) {
            out[i] = Embeddings.l2Normalize(v[i]);
        }
        return out;
    }

    private Pooling requireEncoder(String what) {
        return pooling().orElseThrow(() -> new ModelException(path.getFileName() + " is a decoder ("
                + loaded().hparams().arch() + "): " + what + " needs an encoder such as bert or nomic-bert"));
    }

    private void requireDecoder() {
        pooling().ifPresent(p -> {
            throw new ModelException(path.getFileName() + " is an encoder (" + loaded().hparams().arch()
                    + ", pooling " + p.name().toLowerCase(java.util.Locale.ROOT) + "): it embeds text with embed"
                    + " or rank and does not generate; sessions need a decoder");
        });
    }

    public ModelInfo info() {
        LoadedModel lm = loaded();
        HParams hp = lm.hparams();
        String name = lm.file().metadata().optString("general.name").orElse(path.getFileName().toString());
        long params = 0;
        long bytes = 0;
        java.util.Map<GgmlType, Long> byType = new java.util.EnumMap<>(GgmlType.class);
        for (GgufTensorInfo t : lm.file().tensors()) {
            params += t.elementCount();
            bytes += t.byteSize();
            byType.merge(t.type(), t.byteSize(), Long::sum);
        }
        String mainType = byType.entrySet().stream().max(java.util.Map.Entry.comparingByValue())
                .map(e -> e.getKey().name()).orElse("none");
        return new ModelInfo(hp.arch(), name,
                new HyperParameters(hp.nVocab(), hp.nCtxTrain(), hp.nEmbd(), hp.nLayer(), hp.nFf(), hp.nHead(),
                        hp.nHeadKv(), hp.nEmbdHeadK(), hp.ropeFreqBase(), hp.rmsEps()),
                lm.file().tensors().size(), lm.file().fileSize(), lm.store().mappedBytes(), lm.store().copiedBytes(),
                lm.store().summary(), params, bytes, mainType);
    }

    /**
     * The model's tokenizer.
     *
     * @throws ModelException if the file has no vocabulary ({@code tokenizer.ggml.*} metadata)
     */
    public Tokenizer tokenizer() {
        return loaded().tokenizer().orElseThrow(() -> new ModelException(path.getFileName()
                + " has no tokenizer metadata; use the token-id methods"));
    }

    /**
     * The file's chat template ({@code tokenizer.chat_template}, a Jinja template), or the named one
     * ({@code tokenizer.chat_template.NAME}) when {@code name} is not null; empty when the file has none.
     */
    public java.util.Optional<String> chatTemplate(String name) {
        String key = name == null ? "tokenizer.chat_template" : "tokenizer.chat_template." + name;
        return loaded().file().metadata().optString(key);
    }

    /** Whether the file has a vocabulary, so text can be tokenized. */
    public boolean hasTokenizer() {
        return loaded().tokenizer().isPresent();
    }

    /**
     * The BOS token id when the model's tokenizer adds one at the start of a prompt, else -1.
     */
    public int beginOfSequenceToken() {
        return loaded().tokenizer().filter(Tokenizer::addsBos).map(t -> t.specialTokens().bos()).orElse(-1);
    }

    public Path path() {
        return path;
    }

    private synchronized LoadedModel loaded() {
        if (closed) {
            throw new ResourceClosedException("model " + path.getFileName() + " is closed");
        }
        return loaded;
    }

    /** Closes every session of this model (waiting for running computations to stop), then frees the weights. */
    @Override
    public void close() {
        List<Session> open;
        synchronized (this) {
            if (closed) {
                return;
            }
            open = new ArrayList<>(children);
        }
        for (Session c : open) {
            try {
                c.close();
            } catch (RuntimeException e) {
                // a session that fails to close must not keep the weights alive
            }
        }
        Engine e;
        Engine enc;
        synchronized (this) {
            closed = true;
            e = engine;
            enc = encoderEngine;
            children.clear();
        }
        if (enc != null) {
            enc.close();
        }
        if (e != null) {
            e.close();
        }
        loaded.close();
    }
}
