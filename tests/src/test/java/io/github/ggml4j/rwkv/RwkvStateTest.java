package io.github.ggml4j.rwkv;

import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.SessionStateException;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.runtime.Engine;
import io.github.ggml4j.runtime.ModelAccess;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.testing.SyntheticRwkv;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The recurrent state's sequence operations on synthetic RWKV-6 and RWKV-7 models (F32): a prompt in one
 * batch equals it token by token (state and logits), save → restore → continue equals the uninterrupted run,
 * a fork continues like its source, a truncation the state cannot honour is refused with a typed error,
 * sequences batched in one step equal their runs alone, and states from another model or cut short are
 * refused (case 44). Expected values all come from ggml4j runs of the same file along another path.
 */
class RwkvStateTest {

    static final int[] PROMPT = RwkvModels.prompt(48, 3);

    static Path file(int version) {
        return RwkvModels.of(version, GgmlType.F32).cached();
    }

    /** The floats of the recurrent rows: the last ones of a saved state, before its CRC. */
    static float[] stateFloats(SyntheticRwkv spec, byte[] state) {
        long perLayer = 2L * spec.nEmbd() + (long) spec.nEmbd() * spec.headSize();
        int n = Math.toIntExact(perLayer * spec.nLayer());
        ByteBuffer b = ByteBuffer.wrap(state, state.length - 8 - 4 * n, 4 * n).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = b.getFloat();
        }
        return f;
    }

    static int[] greedy(Session s, int n) {
        return s.generate(new int[0], GenerateOptions.greedy(n), null).tokens();
    }

    @ParameterizedTest(name = "rwkv{0}")
    @ValueSource(ints = {6, 7})
    void promptInOneBatchEqualsTokenByToken(int version) {
        SyntheticRwkv spec = RwkvModels.of(version, GgmlType.F32);
        try (Model m = Model.load(file(version), RwkvModels.options());
             Session batch = m.newSession();
             Session single = m.newSession()) {
            batch.evaluate(PROMPT);
            for (int t : PROMPT) {
                single.evaluate(t);
            }
            double logits = Errors.nmse(batch.logits(), single.logits());
            double state = Errors.nmse(stateFloats(spec, batch.saveState()), stateFloats(spec, single.saveState()));
            System.out.println("rwkv" + version + " one batch vs token by token: logits NMSE " + logits
                    + ", state NMSE " + state);
            assertTrue(logits <= 1e-6, "logits NMSE " + logits);
            assertTrue(state <= 1e-6, "state NMSE " + state);
            assertEquals(PROMPT.length, batch.position());
        }
    }

    @ParameterizedTest(name = "rwkv{0}")
    @ValueSource(ints = {6, 7})
    void saveRestoreContinueEqualsUninterrupted(int version, @TempDir Path dir) {
        int[] uninterrupted;
        byte[] state;
        int position;
        Path saved = dir.resolve("state.bin");
        try (Model m = Model.load(file(version), RwkvModels.options()); Session s = m.newSession()) {
            s.evaluate(PROMPT);
            greedy(s, 8);
            state = s.saveState();
            position = s.position();
            s.saveState(saved);
            uninterrupted = greedy(s, 16);
        }
        try (Model m = Model.load(file(version), RwkvModels.options())) {
            try (Session r = m.restoreSession(state)) {
                assertEquals(position, r.position());
                assertArrayEquals(uninterrupted, greedy(r, 16), "restored from bytes");
            }
            try (Session r = m.restoreSession(saved)) {
                assertArrayEquals(uninterrupted, greedy(r, 16), "restored from a file");
            }
        }
    }

    @ParameterizedTest(name = "rwkv{0}")
    @ValueSource(ints = {6, 7})
    void forkContinuesLikeItsSourceAndThenDiverges(int version) {
        try (Model m = Model.load(file(version), RwkvModels.options()); Session s = m.newSession()) {
            s.evaluate(PROMPT);
            try (Session f = s.fork()) {
                assertEquals(s.position(), f.position());
                assertArrayEquals(s.logits(), f.logits());
                int[] a = greedy(s, 12);
                int[] b = greedy(f, 12);
                assertArrayEquals(a, b, "a fork continues as its source does");
                // the source goes on alone; the fork's state is its own
                s.evaluate(RwkvModels.prompt(5, 99));
                int[] c = greedy(f, 4);
                try (Session again = m.newSession()) {
                    again.evaluate(PROMPT);
                    greedy(again, 12);
                    assertArrayEquals(greedy(again, 4), c, "the fork was not changed by its source");
                }
            }
        }
    }

    @ParameterizedTest(name = "rwkv{0}")
    @ValueSource(ints = {6, 7})
    void truncationIsRefusedTypedExceptToZero(int version) {
        try (Model m = Model.load(file(version), RwkvModels.options()); Session s = m.newSession()) {
            s.evaluate(PROMPT);
            float[] logits = s.logits();
            ContextOverflowException e = assertThrows(ContextOverflowException.class, () -> s.truncate(10));
            assertTrue(e.getMessage().contains("recurrent state"), e.getMessage());
            assertEquals(PROMPT.length, s.position(), "a refused truncation changes nothing");
            assertArrayEquals(logits, s.logits());
            s.truncate(PROMPT.length); // to the end: nothing to forget
            s.truncate(0);
            assertEquals(0, s.position());
            s.evaluate(PROMPT);
            assertArrayEquals(logits, s.logits(), "after truncating to 0 the state starts from zero again");
        }
    }

    @ParameterizedTest(name = "rwkv{0}")
    @ValueSource(ints = {6, 7})
    void sequencesBatchedTogetherEqualTheirRunsAlone(int version) throws Exception {
        int n = 4;
        List<int[]> prompts = new ArrayList<>();
        List<int[]> alone = new ArrayList<>();
        try (Model m = Model.load(file(version), RwkvModels.options())) {
            for (int i = 0; i < n; i++) {
                int[] p = RwkvModels.prompt(8 + 5 * i, 40 + i);
                prompts.add(p);
                try (Session s = m.newSession()) {
                    s.evaluate(p);
                    alone.add(greedy(s, 24));
                }
            }
            Engine engine = ModelAccess.get().engine(m);
            long stepsBefore = engine.stats().steps();
            List<CompletableFuture<int[]>> runs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int[] p = prompts.get(i);
                runs.add(CompletableFuture.supplyAsync(() -> {
                    try (Session s = m.newSession()) {
                        s.evaluate(p);
                        return greedy(s, 24);
                    }
                }));
            }
            for (int i = 0; i < n; i++) {
                assertArrayEquals(alone.get(i), runs.get(i).get(), "sequence " + i);
            }
            long steps = engine.stats().steps() - stepsBefore;
            System.out.println("rwkv" + version + ": " + n + " sequences × (prompt + 24 tokens) in " + steps + " steps");
            assertTrue(steps < (long) n * 25, "sequences never shared a step (" + steps + " steps)");
        }
    }

    @ParameterizedTest(name = "rwkv{0}")
    @ValueSource(ints = {6, 7})
    void stateBytesPerSequenceAreConstant(int version) {
        SyntheticRwkv spec = RwkvModels.of(version, GgmlType.F32);
        try (Model m = Model.load(file(version), RwkvModels.options()); Session s = m.newSession()) {
            s.evaluate(RwkvModels.prompt(10, 1));
            int a = s.saveState().length;
            long nativeA = ModelAccess.get().engine(m).stats().memoryBytes();
            s.evaluate(RwkvModels.prompt(300, 2));
            int b = s.saveState().length;
            long nativeB = ModelAccess.get().engine(m).stats().memoryBytes();
            long rows = 4L * spec.nLayer() * (2L * spec.nEmbd() + (long) spec.nEmbd() * spec.headSize());
            System.out.println("rwkv" + version + ": state rows " + rows + " bytes per sequence; saved state "
                    + a + " bytes at 10 tokens, " + b + " at 310 (4 bytes per token id)");
            assertEquals(300 * 4, b - a, "a saved state grows by its token ids only");
            assertEquals(nativeA, nativeB, "native memory does not grow with the sequence");
        }
    }

    @ParameterizedTest(name = "rwkv{0}")
    @ValueSource(ints = {6, 7})
    void statesFromAnotherModelOrCutShortAreRefused(int version, @TempDir Path dir) throws Exception {
        byte[] state;
        try (Model m = Model.load(file(version), RwkvModels.options()); Session s = m.newSession()) {
            s.evaluate(PROMPT);
            state = s.saveState();
        }
        int other = version == 6 ? 7 : 6;
        try (Model m = Model.load(file(other), RwkvModels.options())) {
            SessionStateException e = assertThrows(SessionStateException.class, () -> m.restoreSession(state));
            System.out.println("rwkv" + version + " state into rwkv" + other + ": " + e.getMessage());
        }
        try (Model m = Model.load(file(version), RwkvModels.options())) {
            for (int cut : new int[] {0, 7, 20, state.length / 2, state.length - 9, state.length - 1}) {
                byte[] part = Arrays.copyOf(state, cut);
                assertThrows(SessionStateException.class, () -> m.restoreSession(part), "cut at " + cut);
                Path f = dir.resolve("cut-" + cut + ".bin");
                Files.write(f, part);
                assertThrows(SessionStateException.class, () -> m.restoreSession(f), "file cut at " + cut);
            }
            byte[] flipped = state.clone();
            flipped[flipped.length - 100] ^= 1;
            assertThrows(SessionStateException.class, () -> m.restoreSession(flipped), "a flipped byte");
            assertEquals(0, ModelAccess.get().engine(m).stats().sequences(), "failed restores hold no sequence");
            try (Session ok = m.restoreSession(state)) {
                assertEquals(PROMPT.length, ok.position());
            }
        }
    }

    @ParameterizedTest(name = "rwkv{0}")
    @ValueSource(ints = {7})
    void sequenceSlotsRunOutTypedAndAreFreedOnClose(int version) {
        // default cached prompts: a recurrent state keeps no closed session's state (it cannot share prefixes)
        try (Model m = Model.load(file(version), RwkvModels.options().withCachedPrompts(4))) {
            List<Session> open = new ArrayList<>();
            try {
                for (int i = 0; i < io.github.ggml4j.memory.RecurrentState.MAX_SEQUENCES; i++) {
                    Session s = m.newSession();
                    open.add(s);
                    s.evaluate(RwkvModels.prompt(3, i));
                }
                try (Session extra = m.newSession()) {
                    ContextOverflowException e = assertThrows(ContextOverflowException.class,
                            () -> extra.evaluate(RwkvModels.prompt(3, 100)));
                    System.out.println("rwkv" + version + " 17th sequence: " + e.getMessage());
                    assertTrue(e.getMessage().contains("recurrent state is full: all 16 sequence slots"), e.getMessage());
                    assertThrows(ContextOverflowException.class, () -> open.get(0).fork());
                    open.remove(0).close();
                    extra.evaluate(RwkvModels.prompt(3, 100));
                    assertEquals(3, extra.position());
                }
                for (int i = 0; i < 3; i++) {
                    open.remove(0).close();
                }
                try (Session a = m.newSession(); Session b = m.newSession()) {
                    a.evaluate(PROMPT);
                    b.evaluate(PROMPT);
                    assertArrayEquals(a.logits(), b.logits());
                }
            } finally {
                open.forEach(Session::close);
            }
        }
    }
}
