package io.github.ggml4j.model;

import io.github.ggml4j.ModelException;
import io.github.ggml4j.ResourceClosedException;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufTensorInfo;
import io.github.ggml4j.runtime.LoadedModel;
import io.github.ggml4j.runtime.ModelAccess;
import io.github.ggml4j.runtime.WeightLoader;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A loaded model: weights mapped from a GGUF file (zero-copy where possible), ready to make sessions. Thread
 * safe: many sessions, on many threads, share one model. Closing the model closes its sessions first.
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

    static {
        ModelAccess.register(new ModelAccess.Accessor() {
            @Override
            public LoadedModel loaded(Model model) {
                return model.loaded();
            }

            @Override
            public void track(Model model, AutoCloseable child) {
                model.track(child);
            }

            @Override
            public void untrack(Model model, AutoCloseable child) {
                model.untrack(child);
            }
        });
    }

    private final Path path;
    private final LoadedModel loaded;
    private final Set<AutoCloseable> children = new LinkedHashSet<>();
    private boolean closed;

    private Model(Path path, LoadedModel loaded) {
        this.path = path;
        this.loaded = loaded;
    }

    /** Loads a model with {@link ModelOptions#defaults()}. */
    public static Model load(Path path) {
        return load(path, ModelOptions.defaults());
    }

    /**
     * Loads a model. Every tensor's presence, shape and type is checked against the architecture first.
     *
     * @throws io.github.ggml4j.GgufFormatException   if the file is not valid GGUF
     * @throws io.github.ggml4j.ModelException        for an unknown architecture, inconsistent hyper-parameters,
     *                                                or a missing or mis-shaped tensor
     * @throws io.github.ggml4j.StorageException      if the file cannot be read
     */
    public static Model load(Path path, ModelOptions options) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        LoadedModel lm = LoadedModel.load(path,
                new WeightLoader.Placement(options.mmap(), options.repack(), options.gpuLayers(),
                        options.disabledBufferTypes()));
        return new Model(path, lm);
    }

    /** A session with default options (context up to 4096 positions, all cores). */
    public Session newSession() {
        return new Session(this, SessionOptions.defaults());
    }

    public Session newSession(SessionOptions options) {
        return new Session(this, options);
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

    private synchronized void track(AutoCloseable child) {
        if (closed) {
            throw new ResourceClosedException("model " + path.getFileName() + " is closed");
        }
        children.add(child);
    }

    private synchronized void untrack(AutoCloseable child) {
        children.remove(child);
    }

    /** Closes every session of this model (waiting for running computations to stop), then frees the weights. */
    @Override
    public void close() {
        List<AutoCloseable> open;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            open = new ArrayList<>(children);
            children.clear();
        }
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception e) {
                // a session that fails to close must not keep the weights alive
            }
        }
        loaded.close();
    }
}
