package io.github.ggml4j.parity;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.memory.KvCache;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.testing.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parity where the graph shape changes: a prompt split into micro-batches whose generation crosses the KV cache's
 * padding step (the attended cell count grows from 256 to 512, so a new graph is built mid-generation); and
 * weights placed differently (no mmap, no repacking) than llama.cpp places them.
 */
class ParityLongContextTest {

    @ParameterizedTest(name = "flashAttention={0}")
    @ValueSource(booleans = {false, true})
    void generationAcrossThePaddingStepMatchesLlamaCpp(boolean fa) {
        Path file = Parity.TINY.cached();
        int[] prompt = Parity.prompt(250, 90);
        int nPredict = 24;
        assertTrue(prompt.length < KvCache.PAD && prompt.length + nPredict > KvCache.PAD);
        LlamaCpp.Result ref = LlamaCpp.run(file, prompt, nPredict, Parity.CTX, 64, fa);
        Parity.Ggml4jResult got = Parity.run(file, Parity.options(fa).withBatchSize(64), prompt, nPredict);
        double nmse = Errors.nmse(ref.logits(), got.logits());
        System.out.println("250-token prompt in batches of 64 + 24 tokens across cell 256, fa=" + (fa ? 1 : 0)
                + ": logits NMSE " + Parity.fmt(nmse));
        assertTrue(nmse <= 1e-5, "NMSE " + nmse);
        Parity.assertGreedyAgrees(ref.generated(), got.generation(), "across the padding step");
    }

    /**
     * Without repacking ggml uses other Q4_0 kernels than llama.cpp's default (which repacks), so the bound is
     * the quantized one; without mmap the bytes are copied but must compute the same.
     */
    @Test
    void otherWeightPlacementsKeepTheLogits() {
        Path file = Parity.LLAMA_512.withTypes(GgmlType.Q4_0).withEmbdType(GgmlType.Q8_0).cached();
        int[] prompt = Parity.prompt(20, 91);
        float[] ref = LlamaCpp.run(file, prompt, 0, Parity.CTX, 512, true).logits();
        ModelOptions base = Parity.options(true);
        for (ModelOptions o : new ModelOptions[] {base.withMmap(false), base.withRepack(false),
                base.withMmap(false).withRepack(false)}) {
            try (Model model = Model.load(file, o)) {
                double nmse = Errors.nmse(ref, Parity.run(model, prompt, 1).logits());
                System.out.println("Q4_0 " + o + ": logits NMSE vs llama.cpp " + Parity.fmt(nmse));
                assertTrue(nmse <= 1e-3, o + ": NMSE " + nmse);
            }
        }
    }
}
