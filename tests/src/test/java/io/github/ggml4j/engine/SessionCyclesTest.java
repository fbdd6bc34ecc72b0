package io.github.ggml4j.engine;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.runtime.Engine;
import io.github.ggml4j.runtime.ModelAccess;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Case 43: 1,000 cycles of open / generate / close on one model leave memory flat. */
class SessionCyclesTest {

    @Test
    void thousandSessionCyclesKeepRssFlat() {
        int cycles = 1000;
        List<Long> curve = new ArrayList<>();
        try (Model model = Model.load(Parity.TINY.cached(), SequenceOpsTest.engine().withCachedPrompts(4))) {
            Engine engine = ModelAccess.get().engine(model);
            int[] first = null;
            for (int i = 0; i < cycles; i++) {
                try (Session s = model.newSession(SessionOptions.defaults().withContextSize(64))) {
                    int[] t = s.generate(Parity.prompt(8 + i % 5, 80 + i % 5), GenerateOptions.greedy(8), null).tokens();
                    if (i == 0) {
                        first = t;
                    } else if (i % 5 == 0) {
                        assertEquals(first.length, t.length);
                    }
                }
                if (i % 100 == 99) {
                    System.gc();
                    curve.add(Rss.kib());
                }
            }
            Engine.Stats st = engine.stats();
            assertEquals(0, st.sequences(), "no live sequence is left: " + st);
            assertTrue(st.cachedPrompts() <= 4, "cached prompts stay within their limit: " + st);
            assertTrue(st.usedCells() <= 4 * 64, "only cached prompts hold cells: " + st);
        }
        System.out.println("RSS (KiB) after every 100 of " + cycles + " session cycles: " + curve);
        long early = curve.get(1);
        long late = curve.get(curve.size() - 1);
        assertTrue(late - early < 32 * 1024, "RSS grew from " + early + " to " + late + " KiB: " + curve);
    }
}
