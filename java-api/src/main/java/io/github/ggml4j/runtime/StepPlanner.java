package io.github.ggml4j.runtime;

import io.github.ggml4j.memory.Memory;

import java.util.ArrayList;
import java.util.List;

/**
 * Decides what one step computes (engine thread, engine lock held): single tokens of generating sequences
 * first, so a long prompt never stalls their generation, then prompt chunks round-robin, within the
 * micro-batch size, the free cells and what one sequence may put into one step.
 */
final class StepPlanner {

    /** Distinct prompt chunk sizes in one step, so its attention groups (with the single tokens') stay few. */
    static final int MAX_PROMPT_SIZES = 4;

    private final Memory memory;
    private final Sequences sequences;
    private final int ubatch;
    private int roundRobin;

    StepPlanner(Memory memory, Sequences sequences, int ubatch) {
        this.memory = memory;
        this.sequences = sequences;
        this.ubatch = ubatch;
    }

    /** What a plan found: the requests taken into the batch, or those that found no room at all. */
    record Plan(List<Request> running, List<Request> noRoom) {
        boolean empty() {
            return running.isEmpty();
        }
    }

    /** Fills {@code batch} from {@code pending}. */
    Plan plan(List<Request> pending, Batch batch) {
        batch.clear();
        List<Request> running = new ArrayList<>();
        List<Request> candidates = new ArrayList<>();
        int n = pending.size();
        for (int i = 0; i < n; i++) {
            Request r = pending.get((roundRobin + i) % n);
            if (r.cancelReason == null && !r.waitingForRoom) {
                candidates.add(r);
            }
        }
        roundRobin++;
        if (candidates.isEmpty()) {
            return new Plan(running, List.of());
        }
        for (Request r : candidates) {
            if (!r.prefixChecked) {
                r.prefixChecked = true;
                sequences.reusePrefix(r);
            }
        }
        int wanted = 0;
        for (Request r : candidates) {
            wanted += r.remaining();
        }
        int budget = Math.min(ubatch, sequences.makeRoom(Math.min(wanted, ubatch)));
        if (budget == 0) {
            return new Plan(running, candidates);
        }
        if (memory.wholeSequences()) {
            return planWhole(candidates, budget, batch, running);
        }
        if (memory.equalTokensPerSequence()) {
            planEqual(candidates, budget, batch, running);
            return new Plan(running, List.of());
        }
        for (Request r : candidates) {
            if (r.remaining() == 1 && budget > 0) {
                take(r, 1, batch, running);
                budget--;
            }
        }
        if (memory.equalPromptChunks()) {
            planChunks(candidates, budget, batch, running);
            return new Plan(running, List.of());
        }
        for (Request r : candidates) {
            if (r.remaining() > 1 && budget > 0) {
                take(r, Math.min(r.remaining(), budget), batch, running);
                budget -= r.taken;
            }
        }
        return new Plan(running, List.of());
    }

    /**
     * Prompts for a memory that builds one attention group per distinct chunk size (a {@link
     * io.github.ggml4j.memory.StreamedKvCache}): in round-robin order each prompt takes what fits, whole when it
     * can, so a short prompt's first token comes in the step it arrived for (as in llama-server, whose prompts go
     * whole into a decode); past {@link #MAX_PROMPT_SIZES} sizes a prompt takes a chunk of a size already there.
     */
    private void planChunks(List<Request> candidates, int budget, Batch batch, List<Request> running) {
        int[] sizes = new int[MAX_PROMPT_SIZES];
        int nSizes = 0;
        for (Request r : candidates) {
            if (budget == 0) {
                return;
            }
            if (r.remaining() <= 1) {
                continue;
            }
            int want = Math.min(Math.min(r.remaining(), budget), memory.maxTokensPerSequence());
            boolean known = false;
            int below = 0;
            for (int k = 0; k < nSizes; k++) {
                known |= sizes[k] == want;
                if (sizes[k] < want) {
                    below = Math.max(below, sizes[k]);
                }
            }
            if (!known) {
                if (nSizes < MAX_PROMPT_SIZES) {
                    sizes[nSizes++] = want;
                } else if (below > 1) {
                    want = below;
                } else {
                    continue;
                }
            }
            take(r, want, batch, running);
            budget -= r.taken;
        }
    }

    /**
     * For a memory that wants the same token count from every sequence of a step: the single tokens of all
     * generating sequences when there are any, else a chunk of the first prompt and equal chunks of the
     * prompts that have as many tokens left.
     */
    private void planEqual(List<Request> candidates, int budget, Batch batch, List<Request> running) {
        for (Request r : candidates) {
            if (r.remaining() == 1 && budget > 0) {
                take(r, 1, batch, running);
                budget--;
            }
        }
        if (!running.isEmpty()) {
            return;
        }
        int per = Math.min(Math.min(candidates.get(0).remaining(), budget), memory.maxTokensPerSequence());
        for (Request r : candidates) {
            if (budget >= per && r.remaining() >= per) {
                take(r, per, batch, running);
                budget -= per;
            }
        }
    }

    /**
     * For a memory that takes each request whole: as many whole requests as fit, in round-robin order; one
     * that can never fit a step has no room at all.
     */
    private Plan planWhole(List<Request> candidates, int budget, Batch batch, List<Request> running) {
        List<Request> tooLong = new ArrayList<>();
        for (Request r : candidates) {
            if (r.remaining() > Math.min(ubatch, memory.maxTokensPerSequence())) {
                tooLong.add(r);
            } else if (r.remaining() <= budget) {
                take(r, r.remaining(), batch, running);
                budget -= r.taken;
            }
        }
        return new Plan(running, tooLong);
    }

    private void take(Request r, int wanted, Batch batch, List<Request> running) {
        int count = Math.min(wanted, memory.maxTokensPerSequence());
        int pos = r.seq.position();
        for (int t = 0; t < count; t++) {
            int index = r.next + t;
            batch.add(r.tokens[index], pos + t, r.seq.id, r.outputs(index));
        }
        r.taken = count;
        running.add(r);
    }
}
