package io.github.ggml4j.arch;

import io.github.ggml4j.gguf.GgufMetadata;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.memory.Memory;
import io.github.ggml4j.memory.MemorySpec;
import io.github.ggml4j.memory.RecurrentState;
import io.github.ggml4j.nativ.Tensors;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * RWKV-6 ("Finch", llama.cpp's {@code rwkv6}): per block a time mix — data-dependent token shift through a
 * LoRA, decay through a second LoRA, {@code ggml_rwkv_wkv6} over the per-sequence WKV state, group norm, SiLU
 * gate — and a channel mix (squared-ReLU key, sigmoid receptance), each with layer norm and residual; the
 * residual is halved every {@code rescale_every_n_layers} blocks. Memory: a {@link RecurrentState}.
 *
 * {@snippet :
 * try (Model m = Model.load(Path.of("rwkv6-world.gguf"));   // general.architecture = rwkv6
 *      Session s = m.newSession()) {
 *     System.out.println(s.generate("The", GenerateOptions.greedy(16)).text());
 * }
 * }
 */
public final class Rwkv6Recipe implements Recipe<Rwkv6Recipe.Weights> {

    /** One block's weights; the five token-shift mixes are fused ({@code lerp_fused}) or separate. */
    public record Layer(RwkvGraph.Norms norms, MemorySegment lerpX, MemorySegment lerpFused, MemorySegment[] lerps,
                        MemorySegment w1, MemorySegment w2, MemorySegment first, MemorySegment decay,
                        MemorySegment decayW1, MemorySegment decayW2, MemorySegment key, MemorySegment value,
                        MemorySegment receptance, MemorySegment gate, MemorySegment ln, MemorySegment lnB,
                        MemorySegment output, MemorySegment cLerpK, MemorySegment cLerpR, MemorySegment cKey,
                        MemorySegment cValue, MemorySegment cReceptance) {
    }

    public record Weights(MemorySegment tokEmbd, MemorySegment tokNorm, MemorySegment tokNormB, List<Layer> layers,
                          MemorySegment outNorm, MemorySegment outNormB, MemorySegment output) {
    }

    @Override
    public String name() {
        return "rwkv6";
    }

    @Override
    public HParams hparams(GgufMetadata metadata) {
        return new HParamsReader(metadata, name()).readRwkv(6);
    }

    @Override
    public Memory newMemory(MemorySpec spec) {
        return new RecurrentState(spec);
    }

    @Override
    public long memoryBytes(MemorySpec spec) {
        return RecurrentState.bytes(spec.hparams(), spec.cells());
    }

    static String blk(int il, String what) {
        return "blk." + il + "." + what;
    }

    @Override
    public Weights bind(WeightSource w, HParams hp) {
        long e = hp.nEmbd();
        long v = hp.nVocab();
        RwkvParams rp = hp.rwkv();
        long mix = rp.timeMixExtraDim();
        long decay = rp.timeDecayExtraDim();
        long head = rp.headSize();
        List<Layer> layers = new ArrayList<>();
        for (int il = 0; il < hp.nLayer(); il++) {
            MemorySegment fused = w.optional(blk(il, "time_mix_lerp_fused.weight"), WeightUse.MUL, il, e, 1, 1, 5);
            MemorySegment[] lerps = new MemorySegment[5];
            if (fused == null) {
                String[] names = {"w", "k", "v", "r", "g"};
                for (int i = 0; i < 5; i++) {
                    lerps[i] = w.require(blk(il, "time_mix_lerp_" + names[i] + ".weight"), WeightUse.MUL, il, e, 1, 1);
                }
            }
            layers.add(new Layer(RwkvGraph.norms(w, il, e),
                    w.require(blk(il, "time_mix_lerp_x.weight"), WeightUse.MUL, il, e, 1, 1), fused, lerps,
                    w.require(blk(il, "time_mix_w1.weight"), WeightUse.MUL_MAT, il, e, mix * 5),
                    w.require(blk(il, "time_mix_w2.weight"), WeightUse.MUL_MAT, il, mix, e, 5),
                    w.require(blk(il, "time_mix_first.weight"), WeightUse.MUL, il, head, e / head),
                    w.require(blk(il, "time_mix_decay.weight"), WeightUse.ADD, il, e),
                    w.require(blk(il, "time_mix_decay_w1.weight"), WeightUse.MUL_MAT, il, e, decay),
                    w.require(blk(il, "time_mix_decay_w2.weight"), WeightUse.MUL_MAT, il, decay, e),
                    w.require(blk(il, "time_mix_key.weight"), WeightUse.MUL_MAT, il, e, e),
                    w.require(blk(il, "time_mix_value.weight"), WeightUse.MUL_MAT, il, e, e),
                    w.require(blk(il, "time_mix_receptance.weight"), WeightUse.MUL_MAT, il, e, e),
                    w.require(blk(il, "time_mix_gate.weight"), WeightUse.MUL_MAT, il, e, e),
                    w.require(blk(il, "time_mix_ln.weight"), WeightUse.MUL, il, e),
                    w.require(blk(il, "time_mix_ln.bias"), WeightUse.ADD, il, e),
                    w.require(blk(il, "time_mix_output.weight"), WeightUse.MUL_MAT, il, e, e),
                    w.require(blk(il, "channel_mix_lerp_k.weight"), WeightUse.MUL, il, e, 1, 1),
                    w.require(blk(il, "channel_mix_lerp_r.weight"), WeightUse.MUL, il, e, 1, 1),
                    w.require(blk(il, "channel_mix_key.weight"), WeightUse.MUL_MAT, il, e, hp.nFf()),
                    w.require(blk(il, "channel_mix_value.weight"), WeightUse.MUL_MAT, il, hp.nFf(), e),
                    w.require(blk(il, "channel_mix_receptance.weight"), WeightUse.MUL_MAT, il, e, e)));
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
        List<RwkvGraph.Norms> norms = w.layers().stream().map(Layer::norms).toList();
        RwkvGraph.Block block = new RwkvGraph.Block() {
            @Override
            public MemorySegment timeMix(RwkvGraph r, int il, MemorySegment x, MemorySegment xPrev) {
                return Rwkv6Recipe.timeMix(r, w.layers().get(il), il, x, xPrev);
            }

            @Override
            public MemorySegment channelMix(RwkvGraph r, int il, MemorySegment x, MemorySegment xPrev) {
                Layer l = w.layers().get(il);
                MemorySegment sx = GgmlLib.ggml_sub(r.ctx, xPrev, x);
                MemorySegment xk = r.lerp(sx, l.cLerpK(), x);
                MemorySegment xr = r.lerp(sx, l.cLerpR(), x);
                MemorySegment rr = GgmlLib.ggml_sigmoid(r.ctx, r.mm(l.cReceptance(), xr));
                return GgmlLib.ggml_mul(r.ctx, rr, r.mm(l.cValue(), r.sqrRelu(l.cKey(), xk)));
            }
        };
        return r.forward(block, w.tokEmbd(), w.tokNorm(), w.tokNormB(), norms, w.outNorm(), w.outNormB(), w.output(),
                g.hparams().rwkv().rescaleEveryNLayers());
    }

    private static MemorySegment timeMix(RwkvGraph r, Layer l, int il, MemorySegment x, MemorySegment xPrev) {
        MemorySegment ctx = r.ctx;
        int n = r.nTokens;
        long e = r.nEmbd;
        MemorySegment sx = GgmlLib.ggml_reshape_2d(ctx, GgmlLib.ggml_sub(ctx, xPrev, x), e, n);
        MemorySegment cur = GgmlLib.ggml_reshape_2d(ctx, x, e, n);
        // data-dependent mixes: w2 · tanh(w1 · lerp_x(x)), five of them -> [n_embd, 1, n_tokens, 5]
        MemorySegment xxx = r.lerp(sx, l.lerpX(), cur);
        xxx = GgmlLib.ggml_reshape_4d(ctx, GgmlLib.ggml_tanh(ctx, r.mm(l.w1(), xxx)), Tensors.ne(l.w1(), 1) / 5, 1, 5, n);
        xxx = GgmlLib.ggml_cont(ctx, GgmlLib.ggml_permute(ctx, xxx, 0, 1, 3, 2));
        xxx = r.mm(GgmlLib.ggml_reshape_4d(ctx, l.w2(), Tensors.ne(l.w2(), 0), Tensors.ne(l.w2(), 1), 1, 5), xxx);
        MemorySegment[] xs = new MemorySegment[5]; // w, k, v, r, g
        if (l.lerpFused() != null) {
            MemorySegment sx3 = GgmlLib.ggml_reshape_3d(ctx, sx, e, 1, n);
            MemorySegment cur3 = GgmlLib.ggml_reshape_3d(ctx, cur, e, 1, n);
            xxx = GgmlLib.ggml_add(ctx, GgmlLib.ggml_mul(ctx, GgmlLib.ggml_add(ctx, xxx, l.lerpFused()), sx3), cur3);
            for (int i = 0; i < 5; i++) {
                xs[i] = r.part(xxx, i);
            }
        } else {
            for (int i = 0; i < 5; i++) {
                MemorySegment p = r.part(xxx, i);
                xs[i] = GgmlLib.ggml_add(ctx, GgmlLib.ggml_mul(ctx, GgmlLib.ggml_add(ctx, p, l.lerps()[i]), sx), cur);
            }
        }
        MemorySegment rr = r.heads(r.mm(l.receptance(), xs[3]));
        MemorySegment k = r.heads(r.mm(l.key(), xs[1]));
        MemorySegment v = r.heads(r.mm(l.value(), xs[2]));
        MemorySegment gate = GgmlLib.ggml_silu(ctx, r.mm(l.gate(), xs[4]));
        MemorySegment w = r.mm(l.decayW2(), GgmlLib.ggml_tanh(ctx, r.mm(l.decayW1(), xs[0])));
        w = GgmlLib.ggml_add(ctx, w, l.decay());
        w = r.heads(GgmlLib.ggml_exp(ctx, GgmlLib.ggml_neg(ctx, GgmlLib.ggml_exp(ctx, w))));
        MemorySegment wf = w;
        cur = r.wkv(il, state -> GgmlLib.ggml_rwkv_wkv6(ctx, k, v, rr, l.first(), wf, state));
        cur = r.groupNorm(cur, l.ln(), l.lnB());
        cur = GgmlLib.ggml_mul(ctx, cur, gate);
        return r.reshape3(r.mm(l.output(), cur));
    }
}
