package io.github.ggml4j.runtime;

import io.github.ggml4j.CancelledException;
import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.Ggml4jException;
import io.github.ggml4j.NativeException;
import io.github.ggml4j.ResourceClosedException;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.memory.Memory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A model's engine: one thread that owns the backends, the scheduler, the memory and every sequence, and runs
 * a single decode loop. Each step gathers the pending work of all sequences into one micro-batch (continuous
 * batching): tokens of generating sequences first, then prompt chunks round-robin, so a long prompt never
 * stops the others' generation. Sequence operations (fork, truncate, release, state) run on the same thread
 * between steps, so nothing else ever touches the memory. The one exception: a lone caller's steps at one
 * thread run on the caller's thread while the engine's thread waits ({@link #canStepInline}), one at a time
 * all the same.
 */
public final class Engine implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("io.github.ggml4j.engine");

    /** How long a step waits for the sequences of the previous step that are generating to submit again. */
    private static final long GATHER_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private final LoadedModel model;
    private final EngineOptions options;
    private final Compute compute;
    private final Memory memory;
    private final Batch batch;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final ArrayDeque<FutureTask<?>> controls = new ArrayDeque<>();
    private final List<Request> pending = new ArrayList<>();
    private final List<Request> running = new ArrayList<>();
    private final Sequences sequences;
    private final StepPlanner planner;
    private final Thread thread;
    private final int maxPositions;
    /** The engine on whose thread this one's graphs run, or null for its own ({@link ComputeHosts}). */
    private volatile Engine computeHost;
    private Set<Sequence> lastStep = Set.of();
    /**
     * Whether the engine's thread is at work (guarded by the lock): from leaving its wait to a step's end, where
     * only handing over results is left. A caller that finds it free may step inline.
     */
    private boolean engineBusy;
    /** The caller running steps itself while the engine's thread waits, or null (guarded by the lock). */
    private Thread inlineStepper;
    private boolean closing;
    private boolean closed;
    private long steps;
    private long inlineSteps;

    private Engine(LoadedModel model, EngineOptions options) {
        this.model = model;
        this.options = options;
        this.compute = new Compute(model, options);
        this.memory = compute.memory();
        this.maxPositions = memory.maxPositions();
        this.batch = new Batch(options.ubatchSize());
        this.sequences = new Sequences(memory, options.cachedPrompts(), options.promptCacheBytes(), this::roomFreed);
        this.planner = new StepPlanner(memory, sequences, options.ubatchSize());
        this.thread = Thread.ofPlatform().daemon().name("ggml4j-engine").unstarted(this::loop);
        thread.start();
    }

    /** Starts the engine of a loaded model. */
    public static Engine start(LoadedModel model, EngineOptions options) {
        MemoryBudget.check(model, options);
        Engine e = new Engine(model, options);
        ComputeHosts.join(e, options.threads(), Runtime.getRuntime().availableProcessors());
        HParams hp = model.hparams();
        long bytes = e.memory.nativeBytes();
        LOG.log(System.Logger.Level.INFO, "ggml4j: " + hp.arch() + " engine: " + e.memory.capacity() + " cells, "
                + (bytes >> 20) + " MiB, " + e.memory.summary() + ", " + options.threads() + " threads"
                + (e.compute.pipelined() ? ", splits pipelined over the offload devices" : "")
                + (e.computeHost != null ? " (computing on another engine's thread: the CPUs are taken)" : ""));
        return e;
    }

    public EngineOptions options() {
        return options;
    }

    public LoadedModel model() {
        return model;
    }

    /** The most positions one sequence can hold in this engine's memory (a stream's cells, for KV streams). */
    public int maxPositions() {
        return maxPositions;
    }

    // ---- what sessions call -------------------------------------------------------------------------------

    /**
     * A new, empty sequence that may hold up to {@code limit} positions. Registered at once, not between steps:
     * a server opening a session per request would otherwise wait for the running step to end, and its prompt
     * then often missed the next one. (Releasing stays a task between steps: done as soon as it was asked, it
     * let the planner see other cached prompts than a synchronous release does, and greedy answers then
     * differed between runs under flash attention, 3 of 4 load tests.)
     */
    public Sequence newSequence(int limit, boolean waitWhenFull) {
        lock.lock();
        try {
            if (closing) {
                throw new ResourceClosedException("the model is closed");
            }
        } finally {
            lock.unlock();
        }
        return sequences.register(limit, waitWhenFull);
    }

    /** As {@link #newSequence}, for tasks already on the engine's thread. */
    Sequence newSequenceOnEngineThread(int limit, boolean waitWhenFull) {
        return sequences.register(limit, waitWhenFull);
    }

    /** Frees a sequence at once (engine thread). */
    void forget(Sequence s) {
        s.released = true;
        sequences.evict(s);
    }

    /**
     * Appends tokens to a sequence and evaluates them, waiting for the result. Afterwards the sequence's
     * {@link Sequence#lastOutput()} holds the last token's output row.
     *
     * @param allRows also return the output row of every token (index i: after token i)
     * @return the rows when {@code allRows}, else null
     * @throws CancelledException     when {@link #cancel} stopped it (the sequence is left as before)
     * @throws ContextOverflowException when memory is full and the sequence does not wait for room
     */
    public float[][] decode(Sequence seq, int[] tokens, boolean allRows) {
        Request r = new Request(seq, tokens, allRows);
        boolean inline;
        lock.lock();
        try {
            if (closing) {
                throw new ResourceClosedException("the model is closed");
            }
            if (seq.released) {
                throw new ResourceClosedException("the session is closed");
            }
            seq.pending = r;
            inline = canStepInline();
            pending.add(r);
            if (inline) {
                inlineStepper = Thread.currentThread();
            } else {
                wake.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (inline) {
            stepInline(r);
        }
        join(r.done);
        return r.rows;
    }

    /**
     * The caller of a generating sequence submits no more tokens: a step waiting for the last step's sequences
     * stops waiting for this one, rather than for up to two milliseconds.
     */
    public void endGeneration(Sequence seq) {
        seq.generating(false);
        lock.lock();
        try {
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether a caller may run its request's steps on its own thread (lock held): it is the only work there is,
     * the engine's thread waits, nothing needs that thread, and ggml computes on one thread. Handing each token
     * to the engine's thread and its result back costs two thread wake-ups, a fifth of a token's time on the
     * demo model (tg128 at one thread: 2900 tokens/s handed over, 3630 inline, llama-bench 3850). With more
     * threads ggml's OpenMP workers belong to the thread that computes, and a second computing thread's pool
     * puts libgomp's barriers to sleep (see {@link ComputeHosts}): tg fell to a fifth, so those stay handed over.
     * Virtual threads (the server's requests) always hand over, so their steps batch together.
     */
    private boolean canStepInline() {
        return options.threads() == 1 && !engineBusy && inlineStepper == null && pending.isEmpty()
                && running.isEmpty() && controls.isEmpty() && computeHost == null
                && !Thread.currentThread().isVirtual();
    }

    /** Runs steps on the caller's thread until its request ends or something needs the engine's thread. */
    private void stepInline(Request r) {
        try {
            while (true) {
                lock.lock();
                try {
                    if (closing || r.done.isDone() || r.waitingForRoom || !controls.isEmpty()) {
                        break;
                    }
                } finally {
                    lock.unlock();
                }
                dropCancelled();
                long before = steps;
                step();
                inlineSteps += steps - before;
            }
        } catch (Throwable t) {
            stopped(t);
            throw t;
        } finally {
            lock.lock();
            try {
                inlineStepper = null;
                wake.signalAll(); // work that came meanwhile, or a closing engine, goes on on the engine's thread
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Appends one token array to each of several sequences in the same steps (beams of a search, the sequences
     * of a batch) and waits for all of them. The first failure is thrown once every request has ended.
     */
    public void decodeAll(List<Sequence> seqs, List<int[]> tokens) {
        if (seqs.size() != tokens.size()) {
            throw new IllegalArgumentException(seqs.size() + " sequences but " + tokens.size() + " token arrays");
        }
        List<Request> requests = new ArrayList<>();
        lock.lock();
        try {
            if (closing) {
                throw new ResourceClosedException("the model is closed");
            }
            for (int i = 0; i < seqs.size(); i++) {
                Sequence seq = seqs.get(i);
                if (seq.released || seq.pending != null) {
                    throw new IllegalStateException("sequence " + seq.id + " is closed or busy");
                }
                Request r = new Request(seq, tokens.get(i), false);
                seq.pending = r;
                pending.add(r);
                requests.add(r);
            }
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        RuntimeException first = null;
        for (Request r : requests) {
            try {
                join(r.done);
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Tokens of the last decode of this sequence that came from another sequence's cells (prefix reuse). */
    public int lastReused(Sequence seq) {
        return seq.lastReused; // written before that decode's result was handed over
    }

    /**
     * Stops the sequence's current request, if any, with {@code reason}: a request still waiting is dropped, a
     * running step is interrupted. Callable from any thread.
     */
    public void cancel(Sequence seq, Ggml4jException reason) {
        lock.lock();
        try {
            Request r = seq.pending;
            if (r == null || r.done.isDone()) {
                return;
            }
            r.cancelReason = reason;
            if (running.contains(r)) {
                compute.requestCancel();
            }
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Forgets the positions at or after {@code position}. */
    public void truncate(Sequence seq, int position) {
        call(() -> {
            if (!memory.canTruncate(seq.id, position)) {
                throw new ContextOverflowException(memory.truncateRefusal(seq.id, position), position,
                        seq.position());
            }
            memory.removeRange(seq.id, position, -1);
            seq.truncate(position);
            seq.setLastOutput(null);
            roomFreed();
            return null;
        });
    }

    /** A new sequence that shares every cell of {@code seq} (no data is copied) and its history. */
    public Sequence fork(Sequence seq, int limit, boolean waitWhenFull) {
        return call(() -> {
            Sequence f = sequences.register(limit, waitWhenFull);
            try {
                memory.copySequence(seq.id, f.id, 0, -1);
            } catch (RuntimeException e) {
                sequences.evict(f); // no room for the copy (a rolling or recurrent memory): nothing is left behind
                throw e;
            }
            f.copyFrom(seq);
            return f;
        });
    }

    /** Releases a closed session's sequence: kept as a cached prompt for prefix reuse, or freed. */
    public void release(Sequence seq) {
        try {
            call(() -> {
                sequences.release(seq);
                return null;
            });
        } catch (ResourceClosedException e) {
            // the engine is gone, and its memory with it
        }
    }

    /** Runs {@code task} on the engine's thread between steps and returns its result. */
    public <T> T call(Callable<T> task) {
        FutureTask<T> f = new FutureTask<>(task);
        lock.lock();
        try {
            if (closing) {
                throw new ResourceClosedException("the model is closed");
            }
            controls.add(f);
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            boolean interrupted = false;
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } finally {
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw rethrow(e.getCause());
        } catch (java.util.concurrent.CancellationException e) {
            throw new ResourceClosedException("the model is closed");
        }
    }

    /** The memory, for tasks run through {@link #call} (and only there). */
    public Memory memory() {
        return memory;
    }

    /**
     * Cells in use, sequences alive and cached, steps run (of them on a caller's thread), tokens reused, graphs
     * built and reused; the host-memory prompt cache's entries, bytes and restores.
     */
    public record Stats(int usedCells, int cells, int sequences, int cachedPrompts, long steps, long reusedTokens,
                        int graphBuilds, int graphReuses, long memoryBytes, long computeBytes, long inlineSteps,
                        int promptCacheEntries, long promptCacheBytes, long promptCacheHits) {
    }

    public Stats stats() {
        PromptCache cache = sequences.promptCache();
        return call(() -> new Stats(memory.usedCells(), memory.capacity(), sequences.live(),
                sequences.cached(), steps, sequences.reusedTokens(), compute.graphBuilds(), compute.graphReuses(),
                memory.nativeBytes(), compute.computeBytes(), inlineSteps,
                cache == null ? 0 : cache.entries(), cache == null ? 0 : cache.bytes(), cache == null ? 0 : cache.hits()));
    }

    private static void join(java.util.concurrent.CompletableFuture<Void> f) {
        try {
            f.join();
        } catch (CompletionException e) {
            throw rethrow(e.getCause());
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException re) {
            return re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        return new NativeException("engine failure: " + t, 0);
    }

    /** Whether this engine's graphs run on its own thread (not on another engine's, see {@link ComputeHosts}). */
    public boolean computesOnOwnThread() {
        return computeHost == null;
    }

    /** Moves this engine's computing to {@code host}'s thread, or back to its own (null). */
    void computeOn(Engine host) {
        computeHost = host;
    }

    /** Runs the placed batch's graph, on this thread or on the host's (a host that closes meanwhile hands over). */
    private void computeStep(Memory.Slots slots) {
        while (true) {
            Engine host = computeHost;
            if (host == null) {
                compute.run(batch, slots);
                return;
            }
            try {
                host.call(() -> {
                    compute.run(batch, slots);
                    return null;
                });
                return;
            } catch (ResourceClosedException e) {
                if (computeHost == host) {
                    throw e; // the host did not hand over: not a host closing
                }
            }
        }
    }

    // ---- the decode loop ------------------------------------------------------------------------------------

    private void loop() {
        try {
            while (true) {
                lock.lock();
                try {
                    // a caller stepping inline finishes first, even when closing: it uses the native side
                    engineBusy = false;
                    while (inlineStepper != null || !closing && controls.isEmpty() && !runnable()) {
                        wake.awaitUninterruptibly();
                    }
                    if (closing) {
                        break;
                    }
                    engineBusy = true;
                } finally {
                    lock.unlock();
                }
                runControls();
                dropCancelled();
                gather();
                // tasks that came while gathering (a finished request's release) run before the plan, not after
                // the next step: the stream it frees may take a prompt of this step
                runControls();
                step();
            }
        } catch (Throwable t) {
            stopped(t);
            throw t;
        } finally {
            failAll(new ResourceClosedException("the model is closed"));
        }
    }

    /** Runs the control tasks asked for so far (engine thread, lock not held). */
    private void runControls() {
        List<FutureTask<?>> tasks;
        lock.lock();
        try {
            if (controls.isEmpty()) {
                return;
            }
            tasks = new ArrayList<>(controls);
            controls.clear();
        } finally {
            lock.unlock();
        }
        tasks.forEach(FutureTask::run);
    }

    /** A step failed unexpectedly, on whichever thread ran it: every request fails and the engine stops. */
    private void stopped(Throwable t) {
        failAll(new NativeException("the engine stopped: " + t, 0));
    }

    /** Whether a pending request can make progress now (or must be failed). */
    private boolean runnable() {
        for (Request r : pending) {
            if (r.cancelReason != null || !r.waitingForRoom) {
                return true;
            }
        }
        return false;
    }

    private void dropCancelled() {
        List<Request> dropped = new ArrayList<>();
        lock.lock();
        try {
            pending.removeIf(r -> {
                if (r.cancelReason != null) {
                    dropped.add(r);
                    return true;
                }
                return false;
            });
        } finally {
            lock.unlock();
        }
        for (Request r : dropped) {
            fail(r, r.cancelReason);
        }
    }

    /** Waits briefly for the generating sequences of the last step, so their next tokens share one step. */
    private void gather() {
        if (lastStep.size() < 2) {
            return;
        }
        lock.lock();
        try {
            long left = GATHER_NANOS;
            while (left > 0 && !closing && controls.isEmpty() && missing()) {
                try {
                    left = wake.awaitNanos(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private boolean missing() {
        for (Sequence s : lastStep) {
            if ((s.generating || s.expectMore) && !s.released && s.pending == null) {
                return true;
            }
        }
        return false;
    }

    private void step() {
        Memory.Slots slots;
        lock.lock();
        try {
            running.clear();
            StepPlanner.Plan plan = planner.plan(pending, batch);
            if (!plan.noRoom().isEmpty()) {
                memoryFull(plan.noRoom());
            }
            if (plan.empty()) {
                return;
            }
            running.addAll(plan.running());
            compute.clearCancel();
            for (Request r : running) {
                if (r.cancelReason != null) {
                    compute.requestCancel();
                }
            }
        } finally {
            lock.unlock();
        }
        slots = memory.place(batch);
        while (slots == null && sequences.evictOne()) {
            slots = memory.place(batch);
        }
        if (slots == null) {
            // a memory whose room is per sequence (a rolling buffer) has no block for a new one
            lock.lock();
            try {
                List<Request> all = new ArrayList<>(running);
                endStep(false);
                memoryFull(all);
            } finally {
                lock.unlock();
            }
            return;
        }
        try {
            computeStep(slots);
        } catch (CancelledException e) {
            memory.rollback(slots);
            endStep(false);
            return;
        } catch (RuntimeException e) {
            memory.rollback(slots);
            List<Request> failed = endStep(false);
            lock.lock();
            try {
                pending.removeAll(failed);
            } finally {
                lock.unlock();
            }
            for (Request r : failed) {
                fail(r, e instanceof Ggml4jException g ? g : new NativeException("decoding failed: " + e, 0));
            }
            return;
        }
        steps++;
        int row = 0;
        Set<Sequence> seqs = new HashSet<>();
        int width = compute.outputWidth();
        for (Request r : running) {
            Sequence s = r.seq;
            seqs.add(s);
            for (int t = 0; t < r.taken; t++) {
                int index = r.next + t;
                if (r.outputs(index)) {
                    if (r.allRows) {
                        float[] dst = new float[width];
                        compute.output(row++, dst);
                        r.rows[index] = dst;
                        if (index == r.tokens.length - 1) {
                            System.arraycopy(dst, 0, s.lastOutputBuffer(width), 0, width);
                        }
                    } else {
                        compute.output(row++, s); // stays in native memory until someone reads it as an array
                    }
                }
            }
            s.append(r.tokens, r.next, r.taken);
            r.next += r.taken;
        }
        lastStep = seqs;
        List<Request> finished = endStep(true);
        for (Request r : finished) {
            complete(r);
        }
    }

    /** Clears the running set; returns the requests that are finished (success) or all of them (failure). */
    private List<Request> endStep(boolean success) {
        List<Request> out = new ArrayList<>();
        lock.lock();
        try {
            for (Request r : running) {
                r.taken = 0;
                if (!success || r.next == r.tokens.length) {
                    out.add(r);
                }
            }
            if (success) {
                pending.removeAll(out);
                // only completing futures is left (their sequences' own fields): the next request of a caller
                // woken by one may step inline, or the engine's thread, which would otherwise still be finishing
                // this step, keeps every later token of that caller too, two thread wake-ups each
                engineBusy = false;
            } else {
                out.clear();
                out.addAll(running);
            }
            running.clear();
        } finally {
            lock.unlock();
        }
        return out;
    }

    /** No cell is free: requests that wait for room wait, the others fail. */
    private void memoryFull(List<Request> candidates) {
        List<Request> failed = new ArrayList<>();
        for (Request r : candidates) {
            if (r.seq.waitWhenFull) {
                r.waitingForRoom = true;
            } else {
                failed.add(r);
            }
        }
        pending.removeAll(failed);
        int live = sequences.live();
        for (Request r : failed) {
            fail(r, new ContextOverflowException(memory.fullMessage(live), r.remaining(), 0));
        }
        breakDeadlock();
    }

    /**
     * When every live sequence waits for room, none will ever free any: the newest request that holds cells of
     * its own gives them up (it fails), so the others go on; when none holds any, waiting cannot help anyone and
     * they all fail.
     */
    private void breakDeadlock() {
        List<Request> waiting = new ArrayList<>();
        for (Request r : pending) {
            if (r.waitingForRoom && r.cancelReason == null) {
                waiting.add(r);
            }
        }
        if (waiting.isEmpty() || waiting.size() < sequences.live()) {
            return;
        }
        Request holder = null;
        for (int i = waiting.size() - 1; i >= 0 && holder == null; i--) {
            if (waiting.get(i).seq.position() > waiting.get(i).startPosition) {
                holder = waiting.get(i);
            }
        }
        List<Request> victims = holder != null ? List.of(holder) : waiting;
        pending.removeAll(victims);
        for (Request r : victims) {
            fail(r, new ContextOverflowException(memory.fullMessage(sequences.live()) + "; every session is waiting"
                    + " for room, so this one gives up its own", r.remaining(), 0));
        }
    }

    /** Cells were freed: requests waiting for room may try again. */
    private void roomFreed() {
        lock.lock();
        try {
            for (Request r : pending) {
                r.waitingForRoom = false;
            }
        } finally {
            lock.unlock();
        }
    }

    private void complete(Request r) {
        // a caller that sends one token at a time (a decode loop) is likely to send the next right away
        r.seq.expectMore = r.tokens.length == 1;
        r.seq.pending = null;
        r.done.complete(null);
    }

    /** Fails a request; what it had appended is forgotten, so a failed call leaves the sequence as before. */
    private void fail(Request r, Ggml4jException e) {
        if (r.seq.position() > r.startPosition) {
            memory.removeRange(r.seq.id, r.startPosition, -1);
            // a memory that cannot rewind that far (a rolling buffer) forgot the whole sequence
            r.seq.truncate(Math.min(r.startPosition, memory.nextPosition(r.seq.id)));
            roomFreed();
        }
        r.seq.pending = null;
        r.done.completeExceptionally(e);
    }

    private void failAll(Ggml4jException e) {
        List<Request> all;
        List<FutureTask<?>> tasks;
        lock.lock();
        try {
            closing = true;
            all = new ArrayList<>(pending);
            pending.clear();
            running.clear();
            tasks = new ArrayList<>(controls);
            controls.clear();
        } finally {
            lock.unlock();
        }
        for (Request r : all) {
            r.seq.pending = null;
            r.done.completeExceptionally(e);
        }
        for (FutureTask<?> t : tasks) {
            t.cancel(false);
        }
    }

    /** Stops the loop (failing what is pending with ResourceClosedException), then frees the native side. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            ComputeHosts.leave(this); // guests move before this engine stops taking their calls
            closing = true;
            compute.requestCancel();
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        compute.close();
    }
}
