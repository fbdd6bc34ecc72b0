package io.github.ggml4j.sampling;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one-pass logit bias + penalties + DRY + top-k over the logits where they lie gives exactly the candidates the
 * step-by-step chain gives (ids, logits, order), with ties, on heap and direct buffers.
 */
class FusedTopKTest {

    static float[] logits(int n, long seed) {
        Random r = new Random(seed);
        float[] l = new float[n];
        for (int i = 0; i < n; i++) {
            // coarse values make ties common
            l[i] = Math.round((float) r.nextGaussian() * 8) / 4.0f;
        }
        return l;
    }

    @Test
    void fusedEqualsStepByStep() {
        for (int trial = 0; trial < 40; trial++) {
            int n = 5000 + trial * 97;
            float[] l = logits(n, trial);
            int k = 1 + trial * 3;
            LogitBias bias = new LogitBias(Map.of(3, 5.0f, 17, Float.NEGATIVE_INFINITY, n - 1, 2.5f));
            Penalties pen = new Penalties(32, 1.3f, 0.2f, 0.1f);
            DryOptions dopt = DryOptions.DEFAULTS.withMultiplier(0.9f).withAllowedLength(1);
            Dry dry = new Dry(dopt, null);
            Random r = new Random(trial);
            int[] history = new int[60];
            for (int i = 0; i < history.length; i++) {
                history[i] = i % 7 == 0 ? r.nextInt(n) : (i % 5) * 11; // repeats for DRY
            }
            for (int t : history) {
                pen.accept(t);
                dry.accept(t);
            }
            Candidates step = new Candidates(n);
            step.reset(l);
            bias.apply(step);
            pen.apply(step);
            dry.apply(step);
            new TopK(k).apply(step);

            Map<Integer, Float> d = dry.penalties();
            assertTrue(!d.isEmpty(), "the history must give DRY something to penalize");
            java.util.TreeSet<Integer> touched = new java.util.TreeSet<>(bias.bias().keySet());
            touched.addAll(pen.tokens());
            touched.addAll(d.keySet());
            int[] ids = touched.stream().mapToInt(Integer::intValue).toArray();
            float[] values = new float[ids.length];
            for (int i = 0; i < ids.length; i++) {
                float v = l[ids[i]] + bias.bias().getOrDefault(ids[i], 0f);
                v = pen.adjust(ids[i], v);
                values[i] = v - d.getOrDefault(ids[i], 0f);
            }
            FloatBuffer direct = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
            direct.put(l).flip();
            for (FloatBuffer src : List.of(FloatBuffer.wrap(l), direct)) {
                Candidates fused = new Candidates(16);
                fused.topK(src, k, ids, values);
                assertEquals(step.size, fused.size);
                assertArrayEquals(Arrays.copyOf(step.id, step.size), Arrays.copyOf(fused.id, fused.size), "trial " + trial);
                assertArrayEquals(Arrays.copyOf(step.logit, step.size), Arrays.copyOf(fused.logit, fused.size));
                assertTrue(fused.sorted);
            }
        }
    }

    @Test
    void theChainTakesTheFusedPathAndGivesTheSameTokens() {
        // top-k 40 (fused) and the same chain whose top-k covers everything (not fused, then cut by min-p) agree
        float[] l = logits(30_000, 99);
        SamplingOptions o = SamplingOptions.defaults().withSeed(5).withPenalties(64, 1.2f, 0.1f, 0.1f)
                .withDry(DryOptions.DEFAULTS.withMultiplier(0.8f)).withLogitBias(Map.of(7, 3f));
        SamplerChain fused = SamplerChain.of(o);
        SamplerChain plain = SamplerChain.of(o);
        int[] prompt = {1, 2, 3, 1, 2, 3, 1, 2};
        fused.accept(prompt);
        plain.accept(prompt);
        for (int step = 0; step < 50; step++) {
            int a = fused.sample(l);
            // the plain path: a heap buffer whose limit hides nothing but goes through reset + all samplers
            int b = plain.sampleStepByStep(l);
            assertEquals(b, a, "step " + step);
            fused.accept(a);
            plain.accept(b);
        }
    }

    @Test
    void dryPenalizesTheTokenThatWouldExtendARepeat() {
        // llama.cpp's worked example: last tokens a b c c b c y a b c; with allowed length 2 the token after the
        // earlier "a b c" (c, repeat 3) and after "b c" (y, repeat 2) are penalized, b (repeat 1) is not
        int a = 10;
        int b = 11;
        int c = 12;
        int y = 13;
        Dry dry = new Dry(new DryOptions(1.0f, 2.0f, 2, 64, List.of()), null);
        for (int t : new int[] {a, b, c, c, b, c, y, a, b, c}) {
            dry.accept(t);
        }
        Map<Integer, Float> p = dry.penalties();
        assertEquals(Map.of(c, 2.0f, y, 1.0f), p); // 1 * 2^(3-2), 1 * 2^(2-2)
    }

    @Test
    void nonFiniteLogitsAreAnError() {
        float[] l = logits(1000, 1);
        l[500] = Float.NaN;
        SamplerChain chain = SamplerChain.of(SamplingOptions.defaults().withSeed(1));
        org.junit.jupiter.api.Assertions.assertThrows(io.github.ggml4j.GenerationException.class, () -> chain.sample(l));
    }
}
