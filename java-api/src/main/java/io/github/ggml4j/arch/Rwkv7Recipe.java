package io.github.ggml4j.arch;

import io.github.ggml4j.gguf.GgufMetadata;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.memory.Memory;
import io.github.ggml4j.memory.MemorySpec;
import io.github.ggml4j.memory.RecurrentState;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * RWKV-7 ("Goose", llama.cpp's {@code rwkv7}): per block a time mix — six fused token-shift mixes, decay,
 * in-context learning rate, value residual (to the first block's value) and gate through LoRAs,
 * {@code ggml_rwkv_wkv7} over the per-sequence WKV state with the normalized key as its removal direction,
 * group norm and the {@code r·k} bonus — and a squared-ReLU channel mix, each with layer norm and residual.
 * Memory: a {@link RecurrentState}.
 *
 * {@snippet :
 * try (Model m = Model.load(Path.of("rwkv7-world.gguf"));   // general.architecture = rwkv7
 *      Session s = m.newSession()) {
 *     System.out.println(s.generate("The", GenerateOptions.greedy(16)).text());
 * }
 * }
 */
public final class Rwkv7Recipe implements Recipe<Rwkv7Recipe.Weights> {

    /** One block's weights. */
    public record Layer(RwkvGraph.Norms norms, MemorySegment w0, MemorySegment w1, MemorySegment w2,
                        MemorySegment a0, MemorySegment a1, MemorySegment a2, MemorySegment v0, MemorySegment v1,
                        MemorySegment v2, MemorySegment g1, MemorySegment g2, MemorySegment lerpFused,
                        MemorySegment kK, MemorySegment kA, MemorySegment rK, MemorySegment key, MemorySegment value,
                        MemorySegment receptance, MemorySegment ln, MemorySegment lnB, MemorySegment output,
                        MemorySegment cLerpK, MemorySegment cKey, MemorySegment cValue) {
    }

    public record Weights(MemorySegment tokEmbd, MemorySegment tokNorm, MemorySegment tokNormB, List<Layer> layers,
                          MemorySegment outNorm, MemorySegment outNormB, MemorySegment output) {
    }

    @Override
    public String name() {
        return "rwkv7";
    }

    @Override
    public HParams hparams(GgufMetadata metadata) {
        return new HParamsReader(metadata, name()).readRwkv(7);
    }

    @Override
    public Memory newMemory(MemorySpec spec) {
        return new RecurrentState(spec);
    }

    @Override
    public long memoryBytes(MemorySpec spec) {
        return RecurrentState.bytes(spec.hparams(), spec.cells());
    }

    private static String blk(int il, String what) {
        return Rwkv6Recipe.blk(il, what);
    }

    @Override
    public Weights bind(WeightSource w, HParams hp) {
        long e = hp.nEmbd();
        long v = hp.nVocab();
        RwkvParams rp = hp.rwkv();
        List<Layer> layers = new ArrayList<>();
        for (int il = 0; il < hp.nLayer(); il++) {
            // block 0 has no value residual; its v LoRA (unused) has the ICLR rank, as llama.cpp loads it
            long vRank = il == 0 ? rp.loraIclr() : rp.loraValueResMix();
            layers.add(new Layer(RwkvGraph.norms(w, il, e),
                    w.require(blk(il, "time_mix_w0.weight"), WeightUse.ADD, il, e),
                    w.require(blk(il, "time_mix_w1.weight"), WeightUse.MUL_MAT, il, e, rp.loraDecay()),
                    w.require(blk(il, "time_mix_w2.weight"), WeightUse.MUL_MAT, il, rp.loraDecay(), e),
                    w.require(blk(il, "time_mix_a0.weight"), WeightUse.ADD, il, e),
                    w.require(blk(il, "time_mix_a1.weight"), WeightUse.MUL_MAT, il, e, rp.loraIclr()),
                    w.require(blk(il, "time_mix_a2.weight"), WeightUse.MUL_MAT, il, rp.loraIclr(), e),
                    w.require(blk(il, "time_mix_v0.weight"), WeightUse.ADD, il, e),
                    w.require(blk(il, "time_mix_v1.weight"), WeightUse.MUL_MAT, il, e, vRank),
                    w.require(blk(il, "time_mix_v2.weight"), WeightUse.MUL_MAT, il, vRank, e),
                    w.require(blk(il, "time_mix_g1.weight"), WeightUse.MUL_MAT, il, e, rp.loraGate()),
                    w.require(blk(il, "time_mix_g2.weight"), WeightUse.MUL_MAT, il, rp.loraGate(), e),
                    w.require(blk(il, "time_mix_lerp_fused.weight"), WeightUse.MUL, il, e, 1, 1, 6),
                    w.require(blk(il, "time_mix_k_k.weight"), WeightUse.MUL, il, e),
                    w.require(blk(il, "time_mix_k_a.weight"), WeightUse.MUL, il, e),
                    w.require(blk(il, "time_mix_r_k.weight"), WeightUse.MUL, il, e),
                    w.require(blk(il, "time_mix_key.weight"), WeightUse.MUL_MAT, il, e, e),
                    w.require(blk(il, "time_mix_value.weight"), WeightUse.MUL_MAT, il, e, e),
                    w.require(blk(il, "time_mix_receptance.weight"), WeightUse.MUL_MAT, il, e, e),
                    w.require(blk(il, "time_mix_ln.weight"), WeightUse.MUL, il, e),
                    w.require(blk(il, "time_mix_ln.bias"), WeightUse.ADD, il, e),
                    w.require(blk(il, "time_mix_output.weight"), WeightUse.MUL_MAT, il, e, e),
                    w.require(blk(il, "channel_mix_lerp_k.weight"), WeightUse.MUL, il, e, 1, 1),
                    w.require(blk(il, "channel_mix_key.weight"), WeightUse.MUL_MAT, il, e, hp.nFf()),
                    w.require(blk(il, "channel_mix_value.weight"), WeightUse.MUL_MAT, il, hp.nFf(), e)));
        }
        return new Weights(w.require("token_embd.weight", WeightUse.GET_ROWS, WeightSource.INPUT, e, v),
                w.require("token_embd_norm.weight", WeightUse.MUL, WeightSource.INPUT, e),
                w.require("token_embd_norm.bias", WeightUse.ADD, WeightSource.INPUT, e), List.copyOf(layers),
                w.require("output_norm.weight", WeightUse.MUL, WeightSource.OUTPUT, e),
                w.require("output_norm.bias", WeightUse.ADD, WeightSource.OUTPUT, e),
                w.require("output.weight", WeightUse.MUL_MAT, WeightSource.OUTPUT, e, v));
    }

    @Override
    public MemorySegment build(GraphBuilder g, Weights w) {
        RwkvGraph r = new RwkvGraph(g);
        MemorySegment[] vFirst = new MemorySegment[1];
        RwkvGraph.Block block = new RwkvGraph.Block() {
            @Override
            public MemorySegment timeMix(RwkvGraph r, int il, MemorySegment x, MemorySegment xPrev) {
                return Rwkv7Recipe.timeMix(r, w.layers().get(il), il, x, xPrev, vFirst);
            }

            @Override
            public MemorySegment channelMix(RwkvGraph r, int il, MemorySegment x, MemorySegment xPrev) {
                Layer l = w.layers().get(il);
                MemorySegment xk = r.lerp(GgmlLib.ggml_sub(r.ctx, xPrev, x), l.cLerpK(), x);
                return r.mm(l.cValue(), r.sqrRelu(l.cKey(), xk));
            }
        };
        return r.forward(block, w.tokEmbd(), w.tokNorm(), w.tokNormB(),
                w.layers().stream().map(Layer::norms).toList(), w.outNorm(), w.outNormB(), w.output(), 0);
    }

    private static MemorySegment timeMix(RwkvGraph r, Layer l, int il, MemorySegment x, MemorySegment xPrev,
                                         MemorySegment[] vFirst) {
        MemorySegment ctx = r.ctx;
        MemorySegment sx = GgmlLib.ggml_sub(ctx, xPrev, x);
        sx = GgmlLib.ggml_repeat_4d(ctx, sx, r.nEmbd, r.nSeqTokens, r.nSeqs, 6);
        MemorySegment xxx = r.lerp(sx, l.lerpFused(), x); // [n_embd, n_seq_tokens, n_seqs, 6]: r w k v a g
        MemorySegment xr = r.part(xxx, 0);
        MemorySegment xw = r.part(xxx, 1);
        MemorySegment xk = r.part(xxx, 2);
        MemorySegment xv = r.part(xxx, 3);
        MemorySegment xa = r.part(xxx, 4);
        MemorySegment xg = r.part(xxx, 5);

        MemorySegment rr = r.mm(l.receptance(), xr);
        MemorySegment w = GgmlLib.ggml_add(ctx, r.mm(l.w2(), GgmlLib.ggml_tanh(ctx, r.mm(l.w1(), xw))), l.w0());
        w = GgmlLib.ggml_exp(ctx, GgmlLib.ggml_scale(ctx, GgmlLib.ggml_sigmoid(ctx, w), -0.606531f));
        MemorySegment k = r.mm(l.key(), xk);
        MemorySegment v = r.mm(l.value(), xv);
        if (vFirst[0] == null) {
            vFirst[0] = v;
        } else {
            MemorySegment mix = GgmlLib.ggml_sigmoid(ctx, GgmlLib.ggml_add(ctx, r.mm(l.v2(), r.mm(l.v1(), xv)), l.v0()));
            v = GgmlLib.ggml_add(ctx, v, GgmlLib.ggml_mul(ctx, GgmlLib.ggml_sub(ctx, vFirst[0], v), mix));
        }
        MemorySegment gate = r.mm(l.g2(), GgmlLib.ggml_sigmoid(ctx, r.mm(l.g1(), xg)));
        MemorySegment a = GgmlLib.ggml_sigmoid(ctx, GgmlLib.ggml_add(ctx, r.mm(l.a2(), r.mm(l.a1(), xa)), l.a0()));

        MemorySegment kk = GgmlLib.ggml_l2_norm(ctx, r.heads(GgmlLib.ggml_mul(ctx, k, l.kK())), 1e-12f);
        MemorySegment ka = GgmlLib.ggml_mul(ctx, k, l.kA());
        k = GgmlLib.ggml_add(ctx, k, GgmlLib.ggml_sub(ctx, GgmlLib.ggml_mul(ctx, a, ka), ka));

        MemorySegment r3 = r.heads(rr);
        MemorySegment w3 = r.heads(w);
        MemorySegment k3 = r.heads(k);
        MemorySegment v3 = r.heads(v);
        MemorySegment a3 = r.heads(a);
        MemorySegment cur = r.wkv(il, state -> GgmlLib.ggml_rwkv_wkv7(ctx, r3, w3, k3, v3,
                GgmlLib.ggml_neg(ctx, kk), GgmlLib.ggml_mul(ctx, kk, a3), state));
        cur = r.groupNorm(cur, l.ln(), l.lnB());
        MemorySegment rk = GgmlLib.ggml_sum_rows(ctx, GgmlLib.ggml_mul(ctx, GgmlLib.ggml_mul(ctx, k3, r3),
                GgmlLib.ggml_reshape_2d(ctx, l.rK(), r.headSize, r.nHead)));
        cur = GgmlLib.ggml_add(ctx, cur, GgmlLib.ggml_reshape_2d(ctx, GgmlLib.ggml_mul(ctx, v3, rk), r.nEmbd, r.nTokens));
        cur = GgmlLib.ggml_mul(ctx, cur, gate);
        return r.reshape3(r.mm(l.output(), cur));
    }
}
