package io.github.ggml4j.train;

import io.github.ggml4j.NativeException;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufTensorInfo;
import io.github.ggml4j.gguf.GgufWriter;
import io.github.ggml4j.gguf.TensorSource;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.internal.ggml.ggml_opt_optimizer_params;
import io.github.ggml4j.internal.ggml.ggml_opt_params;
import io.github.ggml4j.nativ.GgmlContext;
import io.github.ggml4j.nativ.NativeLoader;
import io.github.ggml4j.nativ.NativeStatus;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Trains the F32 tensors of a Llama GGUF with ggml's optimizer ({@code ggml-opt}: static graphs, AdamW,
 * cross-entropy on next-token one-hot labels) on the CPU backend, and writes the trained model.
 *
 * {@snippet :
 * try (Trainer t = new Trainer(Path.of("init-f32.gguf"), LlamaShape.DEMO, TrainOptions.DEMO)) {
 *     TrainReport r = t.train(trainTokens, heldOutTokens, System.err::println);
 *     t.save(Path.of("trained-f32.gguf"));
 * }
 * }
 */
public final class Trainer implements AutoCloseable {

    private static final int COMPUTE_TENSORS = 16384;
    private static final int SCHED_GRAPH_SIZE = 8192;

    private final Arena arena = Arena.ofShared();
    private final GgufFile init;
    private final LlamaShape shape;
    private final TrainOptions options;
    private final TrainWeights weights;
    private final GgmlContext compute;
    private final MemorySegment cpu;
    private final MemorySegment sched;
    private final MemorySegment opt;
    private final MemorySegment optPars;
    private final MemorySegment tokensHost;
    private final MemorySegment labelsHost;
    private final MemorySegment lossHost;

    /** Loads {@code initGguf}'s tensors (all F32, a Llama of {@code shape}) and builds the training graphs. */
    public Trainer(Path initGguf, LlamaShape shape, TrainOptions options) {
        this(initGguf, shape, options, 1);
    }

    /**
     * With {@code optPeriod} > 1 gradients accumulate over that many backward passes before each optimizer step
     * (and the loss is divided by it); the accumulated gradients can then be read with {@link #gradient}.
     */
    Trainer(Path initGguf, LlamaShape shape, TrainOptions options, int optPeriod) {
        if (options.seqLen() > shape.contextLength()) {
            throw new IllegalArgumentException("seqLen " + options.seqLen() + " exceeds the context length "
                    + shape.contextLength());
        }
        NativeLoader.ensureLoaded();
        this.shape = shape;
        this.options = options;
        this.init = GgufFile.open(initGguf);
        TrainWeights w = null;
        GgmlContext c = null;
        MemorySegment cpu0 = MemorySegment.NULL;
        MemorySegment sched0 = MemorySegment.NULL;
        try {
            requireShape(init, shape);
            w = new TrainWeights(init, options.seqLen(), options.batch());
            c = GgmlContext.forTensors(COMPUTE_TENSORS);
            cpu0 = GgmlLib.ggml_backend_cpu_init();
            if (cpu0.equals(MemorySegment.NULL)) {
                throw new NativeException("cannot start the CPU backend");
            }
            GgmlLib.ggml_backend_cpu_set_n_threads(cpu0, options.threads());
            MemorySegment backends = arena.allocateFrom(ValueLayout.ADDRESS, cpu0);
            sched0 = GgmlLib.ggml_backend_sched_new(backends, MemorySegment.NULL, 1, SCHED_GRAPH_SIZE, false, false);
            if (sched0.equals(MemorySegment.NULL)) {
                throw new NativeException("cannot create the backend scheduler");
            }
            MemorySegment logits = LlamaTrainGraph.logits(c.handle(), w, shape);
            this.optPars = ggml_opt_optimizer_params.allocate(arena);
            setOptimizer(options.learningRateAt(1));
            MemorySegment p = ggml_opt_params.allocate(arena);
            ggml_opt_params.backend_sched(p, sched0);
            ggml_opt_params.ctx_compute(p, c.handle());
            ggml_opt_params.inputs(p, w.tokens());
            ggml_opt_params.outputs(p, logits);
            ggml_opt_params.loss_type(p, GgmlLib.GGML_OPT_LOSS_TYPE_CROSS_ENTROPY());
            ggml_opt_params.build_type(p, GgmlLib.GGML_OPT_BUILD_TYPE_OPT());
            ggml_opt_params.opt_period(p, optPeriod);
            ggml_opt_params.get_opt_pars(p, GgmlLib.ggml_opt_get_constant_optimizer_params$address());
            ggml_opt_params.get_opt_pars_ud(p, optPars);
            ggml_opt_params.optimizer(p, GgmlLib.GGML_OPT_OPTIMIZER_TYPE_ADAMW());
            MemorySegment o = GgmlLib.ggml_opt_init(p);
            if (o.equals(MemorySegment.NULL)) {
                throw new NativeException("ggml_opt_init failed");
            }
            this.opt = o;
        } catch (RuntimeException e) {
            if (!sched0.equals(MemorySegment.NULL)) {
                GgmlLib.ggml_backend_sched_free(sched0);
            }
            if (!cpu0.equals(MemorySegment.NULL)) {
                GgmlLib.ggml_backend_free(cpu0);
            }
            if (c != null) {
                c.close();
            }
            if (w != null) {
                w.close();
            }
            init.close();
            arena.close();
            throw e;
        }
        this.weights = w;
        this.compute = c;
        this.cpu = cpu0;
        this.sched = sched0;
        long n = (long) options.seqLen() * options.batch();
        this.tokensHost = arena.allocate(4L * n, 64);
        this.labelsHost = arena.allocate(4L * n * shape.vocabSize(), 64);
        this.lossHost = arena.allocate(4);
    }

    private static void requireShape(GgufFile gguf, LlamaShape shape) {
        GgufTensorInfo embd = gguf.tensor("token_embd.weight")
                .orElseThrow(() -> new IllegalArgumentException("no token_embd.weight in " + gguf.origin()));
        if (embd.dim(0) != shape.nEmbd() || embd.dim(1) != shape.vocabSize()) {
            throw new IllegalArgumentException("token_embd.weight is " + embd.dim(0) + "x" + embd.dim(1)
                    + ", the shape says " + shape.nEmbd() + "x" + shape.vocabSize());
        }
        long blocks = gguf.tensors().stream().filter(t -> t.name().endsWith(".attn_q.weight")).count();
        if (blocks != shape.nLayer()) {
            throw new IllegalArgumentException(blocks + " blocks in the file, the shape says " + shape.nLayer());
        }
    }

    private void setOptimizer(float lr) {
        MemorySegment a = ggml_opt_optimizer_params.adamw(optPars);
        ggml_opt_optimizer_params.adamw.alpha(a, lr);
        ggml_opt_optimizer_params.adamw.beta1(a, 0.9f);
        ggml_opt_optimizer_params.adamw.beta2(a, 0.99f);
        ggml_opt_optimizer_params.adamw.eps(a, 1e-8f);
        ggml_opt_optimizer_params.adamw.wd(a, options.weightDecay());
        MemorySegment s = ggml_opt_optimizer_params.sgd(optPars);
        ggml_opt_optimizer_params.sgd.alpha(s, lr);
        ggml_opt_optimizer_params.sgd.wd(s, 0f);
    }

    /**
     * Runs {@code options.steps()} optimizer steps on random windows of {@code train}, evaluating on fixed
     * windows of {@code heldOut} every {@code options.evalEvery()} steps; {@code log} gets one line each time.
     */
    public TrainReport train(int[] train, int[] heldOut, Consumer<String> log) {
        int len = options.seqLen();
        if (train.length < len + 2 || heldOut.length < len + 2) {
            throw new IllegalArgumentException("the training and held-out texts need more than " + (len + 1)
                    + " tokens each");
        }
        SplittableRandom rnd = new SplittableRandom(options.seed());
        List<LossPoint> curve = new ArrayList<>();
        long t0 = System.nanoTime();
        double sum = 0;
        int count = 0;
        curve.add(new LossPoint(0, Double.NaN, evaluate(heldOut), 0));
        log.accept(String.format("step %5d  held-out %.4f", 0, curve.getFirst().evalLoss()));
        for (int step = 1; step <= options.steps(); step++) {
            int[] offsets = new int[options.batch()];
            for (int b = 0; b < offsets.length; b++) {
                offsets[b] = rnd.nextInt(train.length - len - 1);
            }
            setOptimizer(options.learningRateAt(step));
            sum += run(train, offsets, true);
            count++;
            if (step % options.evalEvery() == 0 || step == options.steps()) {
                double secs = (System.nanoTime() - t0) / 1e9;
                LossPoint pt = new LossPoint(step, sum / count, evaluate(heldOut), secs);
                curve.add(pt);
                log.accept(String.format("step %5d  train %.4f  held-out %.4f  lr %.2e  %.0f s  %.2f steps/s",
                        step, pt.trainLoss(), pt.evalLoss(), options.learningRateAt(step), secs, step / secs));
                sum = 0;
                count = 0;
            }
        }
        return new TrainReport(curve, options.steps(), (long) len * options.batch(), (System.nanoTime() - t0) / 1e9);
    }

    /** The mean held-out loss over {@code options.evalBatches()} fixed, evenly spread batches of windows. */
    double evaluate(int[] heldOut) {
        int len = options.seqLen();
        int windows = options.evalBatches() * options.batch();
        long span = heldOut.length - len - 1;
        double sum = 0;
        for (int e = 0; e < options.evalBatches(); e++) {
            int[] offsets = new int[options.batch()];
            for (int b = 0; b < offsets.length; b++) {
                offsets[b] = (int) (span * (e * options.batch() + b) / windows);
            }
            sum += run(heldOut, offsets, false);
        }
        return sum / options.evalBatches();
    }

    /** One forward (and with {@code backward} an optimizer step) on the windows at {@code offsets}. */
    double run(int[] tokens, int[] offsets, boolean backward) {
        if (offsets.length != options.batch()) {
            throw new IllegalArgumentException(offsets.length + " windows for a batch of " + options.batch());
        }
        int len = options.seqLen();
        long vocab = shape.vocabSize();
        labelsHost.fill((byte) 0);
        for (int b = 0; b < offsets.length; b++) {
            for (int i = 0; i < len; i++) {
                long row = (long) b * len + i;
                int token = tokens[offsets[b] + i];
                int next = tokens[offsets[b] + i + 1];
                if (token < 0 || token >= vocab || next < 0 || next >= vocab) {
                    throw new IllegalArgumentException("token id " + (token < 0 || token >= vocab ? token : next)
                            + " outside the vocabulary of " + vocab);
                }
                tokensHost.setAtIndex(ValueLayout.JAVA_INT, row, token);
                labelsHost.setAtIndex(ValueLayout.JAVA_FLOAT, row * vocab + next, 1f);
            }
        }
        GgmlLib.ggml_opt_alloc(opt, backward);
        TrainWeights.set(weights.tokens(), tokensHost, "setting the tokens");
        TrainWeights.set(GgmlLib.ggml_opt_labels(opt), labelsHost, "setting the labels");
        GgmlLib.ggml_opt_eval(opt, MemorySegment.NULL);
        NativeStatus.check(GgmlLib.ggml4j_tensor_get(GgmlLib.ggml_opt_loss(opt), lossHost, 0, 4), "reading the loss");
        return lossHost.get(ValueLayout.JAVA_FLOAT, 0);
    }

    /** The gradient accumulated for {@code name} (only with an optimizer period above 1). */
    float[] gradient(String name) {
        MemorySegment g = GgmlLib.ggml_opt_grad_acc(opt, weights.param(name));
        if (g.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("no gradient accumulator: the optimizer period is 1");
        }
        long n = GgmlLib.ggml_nelements(g);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(4L * n);
            NativeStatus.check(GgmlLib.ggml4j_tensor_get(g, host, 0, 4L * n), "reading a gradient");
            return host.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    /** Overwrites tensor {@code name} (for gradient checks). */
    void write(String name, float[] values) {
        weights.write(name, values);
    }

    /** The trained values of tensor {@code name}. */
    public float[] read(String name) {
        return weights.read(name);
    }

    /** Writes the model with its trained tensors (F32), atomically; everything else is kept from the input. */
    public void save(Path out) {
        GgufWriter w = GgufWriter.copyOf(init);
        for (GgufTensorInfo t : init.tensors()) {
            w.replaceTensor(t.name(), GgmlType.F32, t.shape(), TensorSource.ofFloats(weights.read(t.name())));
        }
        w.write(out);
    }

    @Override
    public void close() {
        GgmlLib.ggml_opt_free(opt);
        GgmlLib.ggml_backend_sched_free(sched);
        GgmlLib.ggml_backend_free(cpu);
        compute.close();
        weights.close();
        init.close();
        arena.close();
    }
}
