package io.github.ggml4j.quantize;

import io.github.ggml4j.QuantizeException;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufMetadata;
import io.github.ggml4j.gguf.GgufTensorInfo;
import io.github.ggml4j.gguf.GgufValue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.github.ggml4j.gguf.GgmlType.*;

/**
 * Chooses each tensor's output type the way {@code llama-quantize} does (llama.cpp's {@code src/llama-quant.cpp}
 * at the pinned tree, rewritten here): which tensors may be quantized at all, the per-category rules of each
 * mix (attention V and FFN down of some layers get more bits, the head gets Q6_K, ...), {@code --tensor-type}
 * overrides, and the fallback to a smaller block when rows do not split into the chosen type's blocks. Tensors
 * are planned in the order llama-quantize writes them: by block number, then by name.
 */
final class QuantizePlanner {

    enum Category { TOKEN_EMBD, ATTN_Q, ATTN_V, ATTN_K, ATTN_QKV, ATTN_KV_B, ATTN_OUTPUT, FFN_UP, FFN_GATE, FFN_DOWN,
        OUTPUT, OTHER }

    private static final Pattern BLOCK = Pattern.compile("^blk\\.([+-]?\\d+)\\.");
    private static final Pattern BLOCK_PREFIX = Pattern.compile("^blk\\.\\s*([+-]?\\d+)");

    private static final String[] NEVER = {"_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup",
        "laurel", "per_layer_model_proj", "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight",
        "indexer.q_proj.weight", "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight",
        "time_mix_w2.weight", "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight",
        "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight",
        "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight",
        ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger",
        "a.rvq.codebook", "mm.a.code_embd"};

    private final QuantizeOptions options;
    private final FileType ftype;
    private final boolean hasImatrix;
    private final String arch;
    private final int nLayer;
    private final int nGqa;
    private final int nExpert;
    private final boolean is70b;
    private final List<Pattern> patterns = new ArrayList<>();

    private int nAttnV;
    private int iAttnV;
    private int iFfnDown;
    private int iFfnGate;
    private int iFfnUp;
    private boolean tiedEmbeddings = true;
    private int fallbacks;

    QuantizePlanner(GgufMetadata md, QuantizeOptions options, boolean hasImatrix) {
        this.options = options;
        this.ftype = options.fileType();
        this.hasImatrix = hasImatrix;
        this.arch = md.optString("general.architecture").orElse("");
        this.nLayer = (int) firstInt(md, arch + ".block_count", 0);
        long nHead = firstInt(md, arch + ".attention.head_count", 0);
        long nHeadKv = firstInt(md, arch + ".attention.head_count_kv", nHead);
        this.nGqa = nHeadKv == 0 ? 0 : (int) (nHead / nHeadKv);
        this.nExpert = (int) firstInt(md, arch + ".expert_count", 0);
        this.is70b = arch.equals("llama") && nLayer == 80 && nHead != nHeadKv;
        for (QuantizeOptions.TensorTypeRule r : options.tensorTypes()) {
            patterns.add(Pattern.compile(r.pattern()));
        }
    }

    /** A u32/i32 value, or the first element of an array of them (per-layer values), or {@code dflt}. */
    private static long firstInt(GgufMetadata md, String key, long dflt) {
        GgufValue v = md.get(key).orElse(null);
        if (v == null) {
            return dflt;
        }
        if (v instanceof io.github.ggml4j.gguf.GgufArray) {
            long[] values = md.getLongArray(key);
            return values.length == 0 ? dflt : values[0];
        }
        return md.getLong(key);
    }

    /** How many tensors fell back to another type in the last {@link #plan}. */
    int fallbacks() {
        return fallbacks;
    }

    /** The tensors in llama-quantize's output order: block number (-1 for none) first, then name bytes. */
    static List<GgufTensorInfo> outputOrder(List<GgufTensorInfo> tensors) {
        List<GgufTensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingInt((GgufTensorInfo t) -> blockOf(t.name()))
                .thenComparing(t -> t.name().getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned));
        return sorted;
    }

    /** The block number as C's {@code sscanf(name, "blk.%d.")} reads it: -1 when there is none. */
    static int blockOf(String name) {
        Matcher m = BLOCK_PREFIX.matcher(name);
        if (!m.lookingAt()) {
            return -1;
        }
        try {
            return Integer.parseInt(m.group(1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    List<TensorPlan> plan(List<GgufTensorInfo> ordered) {
        nAttnV = 0;
        for (GgufTensorInfo t : ordered) {
            Category c = category(t.name());
            if (isAttnV(c)) {
                nAttnV++;
            }
            if (c == Category.OUTPUT) {
                tiedEmbeddings = false;
            }
        }
        List<TensorPlan> plans = new ArrayList<>(ordered.size());
        for (GgufTensorInfo t : ordered) {
            boolean[] fell = new boolean[1];
            boolean allowed = allowsQuantization(t);
            GgmlType to = allowed ? targetType(t, fell) : t.type();
            boolean needs = allowed && requiresImatrix(t.name(), to);
            plans.add(new TensorPlan(t.name(), t.shape(), t.type(), to, needs, fell[0]));
        }
        return plans;
    }

    static Category category(String n) {
        if (n.equals("output.weight")) {
            return Category.OUTPUT;
        }
        if (n.equals("token_embd.weight") || n.equals("per_layer_token_embd.weight")) {
            return Category.TOKEN_EMBD;
        }
        if (n.contains("attn_qkv.weight")) {
            return Category.ATTN_QKV;
        }
        if (n.contains("attn_kv_b.weight")) {
            return Category.ATTN_KV_B;
        }
        if (n.contains("attn_v.weight")) {
            return Category.ATTN_V;
        }
        if (n.contains("attn_k.weight")) {
            return Category.ATTN_K;
        }
        if (n.contains("attn_q.weight")) {
            return Category.ATTN_Q;
        }
        if (n.contains("attn_output.weight")) {
            return Category.ATTN_OUTPUT;
        }
        if (n.contains("ffn_up")) {
            return Category.FFN_UP;
        }
        if (n.contains("ffn_gate")) {
            return Category.FFN_GATE;
        }
        if (n.contains("ffn_down")) {
            return Category.FFN_DOWN;
        }
        return Category.OTHER;
    }

    private static boolean isAttnV(Category c) {
        return c == Category.ATTN_V || c == Category.ATTN_QKV || c == Category.ATTN_KV_B;
    }

    /** ggml's {@code ggml_n_dims}: trailing dimensions of 1 do not count. */
    static int nDims(long[] shape) {
        for (int i = shape.length - 1; i >= 1; i--) {
            if (shape[i] > 1) {
                return i + 1;
            }
        }
        return 1;
    }

    boolean allowsQuantization(GgufTensorInfo t) {
        if (ftype == FileType.COPY || nDims(t.shape()) < 2) {
            return false;
        }
        String name = t.name();
        if (!name.endsWith("weight")) {
            return false;
        }
        if (options.leaveOutputTensor() && name.equals("output.weight")) {
            return false;
        }
        for (String s : NEVER) {
            if (name.contains(s)) {
                return false;
            }
        }
        return !name.equals("position_embd.weight") && !name.equals("token_types.weight");
    }

    private GgmlType targetType(GgufTensorInfo t, boolean[] fell) {
        String name = t.name();
        Category cat = category(name);
        if (options.tokenEmbeddingType().isPresent() && cat == Category.TOKEN_EMBD) {
            boolean named = name.equals("per_layer_token_embd.weight") && manual(name) != null;
            if (!named) {
                return options.tokenEmbeddingType().get();
            }
        }
        if (options.outputTensorType().isPresent() && cat == Category.OUTPUT) {
            return options.outputTensorType().get();
        }
        GgmlType type = ftype.defaultType();
        if (type.isQuantized()) {
            GgmlType manual = manual(name);
            if (manual != null) {
                type = manual;
            } else if (!options.pure()) {
                type = mixType(type, t, cat);
            }
            GgmlType fb = fallback(t, type);
            fell[0] = fb != type;
            type = fb;
        }
        return type;
    }

    private GgmlType manual(String name) {
        for (int i = 0; i < patterns.size(); i++) {
            if (patterns.get(i).matcher(name).find()) {
                return options.tensorTypes().get(i).type();
            }
        }
        return null;
    }

    private GgmlType fallback(GgufTensorInfo t, GgmlType target) {
        long ncols = t.shape()[0];
        if (ncols % target.blockSize() == 0) {
            return target;
        }
        fallbacks++;
        GgmlType r = switch (target) {
            case IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ4_XS -> IQ4_NL;
            case Q2_0, Q2_K, Q3_K, TQ1_0, TQ2_0 -> Q4_0;
            case Q4_K -> Q5_0;
            case Q5_K -> Q5_1;
            case Q6_K -> Q8_0;
            default -> {
                if (target.blockSize() <= 32) {
                    yield target;
                }
                throw new QuantizeException("no tensor type fallback is defined for type " + target.ggmlName()
                        + " (tensor " + t.name() + " has rows of " + ncols + ")");
            }
        };
        return ncols % r.blockSize() != 0 ? F16 : r;
    }

    private static boolean useMoreBits(int iLayer, int nLayers) {
        return iLayer < nLayers / 8 || iLayer >= 7 * nLayers / 8 || (iLayer - nLayers / 8) % 3 == 2;
    }

    private int layer(int counter, String name) {
        if (nExpert > 1) {
            Matcher m = BLOCK.matcher(name);
            if (!m.lookingAt()) {
                throw new QuantizeException("Failed to determine layer for tensor " + name);
            }
            int l = Integer.parseInt(m.group(1));
            if (l < 0 || l >= nLayer) {
                throw new QuantizeException("Bad layer " + l + " for tensor " + name + ". Must be in [0, " + nLayer + ")");
            }
            return l;
        }
        return counter;
    }

    private boolean is(FileType... types) {
        for (FileType f : types) {
            if (ftype == f) {
                return true;
            }
        }
        return false;
    }

    /** llama.cpp's {@code llama_tensor_get_type_impl}: the mix's rule for this tensor. */
    private GgmlType mixType(GgmlType type, GgufTensorInfo t, Category cat) {
        boolean falcon = arch.equals("falcon");
        if (cat == Category.OUTPUT || (tiedEmbeddings && cat == Category.TOKEN_EMBD)) {
            if (options.outputTensorType().isPresent()) {
                return options.outputTensorType().get();
            }
            long nx = t.shape()[0];
            if (ftype == FileType.MXFP4_MOE) {
                return Q8_0;
            } else if (falcon || nx % type.blockSize() != 0) {
                return Q8_0;
            } else if (is(FileType.IQ2_XXS, FileType.IQ2_XS, FileType.IQ3_XXS, FileType.IQ1_S, FileType.IQ2_S,
                    FileType.IQ2_M, FileType.IQ1_M)) {
                return Q5_K;
            } else if (type != Q8_0) {
                return Q6_K;
            }
            return type;
        }
        if (ftype == FileType.MXFP4_MOE) {
            return t.shape().length > 2 && t.shape()[2] > 1 ? MXFP4 : Q8_0;
        }
        if (cat == Category.TOKEN_EMBD) {
            if (is(FileType.IQ2_XXS, FileType.IQ2_XS, FileType.IQ1_S, FileType.IQ1_M)) {
                return Q2_K;
            } else if (is(FileType.IQ2_S, FileType.IQ2_M, FileType.IQ3_XXS)) {
                return IQ3_S;
            } else if (is(FileType.TQ1_0, FileType.TQ2_0, FileType.Q2_0)) {
                return Q4_K;
            }
            return type;
        }
        if (is(FileType.IQ2_XXS, FileType.IQ2_XS, FileType.IQ1_S, FileType.IQ2_S, FileType.IQ2_M, FileType.IQ1_M)) {
            boolean s = is(FileType.IQ2_S, FileType.IQ2_M);
            if (isAttnV(cat)) {
                type = nGqa >= 4 || nExpert >= 4 ? Q4_K : s ? IQ3_S : Q2_K;
                iAttnV++;
            } else if (nExpert == 8 && cat == Category.ATTN_K) {
                type = Q4_K;
            } else if (cat == Category.FFN_DOWN) {
                if (iFfnDown < nLayer / 8) {
                    type = s ? IQ3_S : Q2_K;
                }
                iFfnDown++;
            } else if (cat == Category.ATTN_OUTPUT) {
                if (nExpert == 8) {
                    type = Q5_K;
                } else if (is(FileType.IQ1_S, FileType.IQ1_M)) {
                    type = IQ2_XXS;
                } else if (s) {
                    type = IQ3_S;
                }
            }
            return type;
        }
        if (isAttnV(cat)) {
            if (ftype == FileType.Q2_K) {
                type = nGqa >= 4 ? Q4_K : Q3_K;
            } else if (ftype == FileType.Q2_K_S && nGqa >= 4) {
                type = Q4_K;
            } else if (ftype == FileType.IQ3_XXS) {
                type = nGqa >= 4 ? Q4_K : !hasImatrix ? IQ3_S : IQ3_XXS;
            } else if (is(FileType.IQ3_XS, FileType.IQ3_S) && nGqa >= 4) {
                type = Q4_K;
            } else if (ftype == FileType.IQ3_M) {
                type = Q4_K;
            } else if (ftype == FileType.Q3_K_M) {
                type = iAttnV < 2 ? Q5_K : Q4_K;
            } else if (ftype == FileType.Q3_K_L) {
                type = Q5_K;
            } else if (is(FileType.IQ4_NL, FileType.IQ4_XS) && nGqa >= 4) {
                type = Q5_K;
            } else if (is(FileType.Q4_K_M, FileType.Q5_K_M) && useMoreBits(iAttnV, nAttnV)) {
                type = Q6_K;
            } else if (ftype == FileType.Q4_K_S && iAttnV < 4) {
                type = Q5_K;
            }
            if (is70b && (type == Q3_K || type == Q4_K)) {
                type = Q5_K;
            }
            if (nExpert == 8) {
                type = Q8_0;
            }
            iAttnV++;
        } else if (cat == Category.ATTN_K) {
            if (nExpert == 8) {
                type = Q8_0;
            } else if (ftype == FileType.IQ3_XS) {
                type = IQ3_XXS;
            } else if (ftype == FileType.IQ3_XXS) {
                type = IQ2_S;
            }
        } else if (cat == Category.ATTN_Q) {
            if (ftype == FileType.IQ3_XS) {
                type = IQ3_XXS;
            } else if (ftype == FileType.IQ3_XXS) {
                type = IQ2_S;
            }
        } else if (cat == Category.FFN_DOWN) {
            type = ffnDown(type, layer(iFfnDown, t.name()), falcon);
            iFfnDown++;
        } else if (cat == Category.ATTN_OUTPUT) {
            if (!falcon) {
                if (nExpert == 8) {
                    if (is(FileType.Q2_K, FileType.IQ3_XS, FileType.IQ3_XXS, FileType.Q3_K_S, FileType.Q3_K_M,
                            FileType.IQ4_NL, FileType.Q4_K_S, FileType.Q4_K_M, FileType.IQ3_S, FileType.IQ3_M,
                            FileType.IQ4_XS)) {
                        type = Q5_K;
                    }
                } else if (ftype == FileType.Q2_K) {
                    type = Q3_K;
                } else if (ftype == FileType.IQ3_XXS) {
                    type = IQ3_S;
                } else if (ftype == FileType.Q3_K_M) {
                    type = Q4_K;
                } else if (ftype == FileType.Q3_K_L) {
                    type = Q5_K;
                } else if (ftype == FileType.IQ3_M) {
                    type = Q4_K;
                }
            } else if (ftype == FileType.Q3_K_L) {
                type = Q4_K;
            }
        } else if (cat == Category.FFN_GATE || cat == Category.FFN_UP) {
            int counter = cat == Category.FFN_GATE ? iFfnGate : iFfnUp;
            int i = layer(counter, t.name());
            if (ftype == FileType.IQ3_XS && i >= nLayer / 8 && i < 7 * nLayer / 8) {
                type = IQ3_XXS;
            }
            if (cat == Category.FFN_GATE) {
                iFfnGate++;
            } else {
                iFfnUp++;
            }
        }
        return type;
    }

    private GgmlType ffnDown(GgmlType type, int i, boolean falcon) {
        int n = nLayer;
        if (ftype == FileType.Q2_K) {
            return Q3_K;
        } else if (ftype == FileType.Q2_K_S) {
            return i < n / 8 ? Q4_K : type;
        } else if (ftype == FileType.IQ3_XXS && !hasImatrix) {
            return i < n / 8 ? Q4_K : Q3_K;
        } else if (ftype == FileType.Q3_K_M) {
            return i < n / 16 ? Q5_K : !falcon || useMoreBits(i, n) ? Q4_K : Q3_K;
        } else if (ftype == FileType.IQ3_M && (i < n / 8 || (nExpert == 8 && useMoreBits(i, n)))) {
            return Q4_K;
        } else if (ftype == FileType.Q3_K_L) {
            return falcon ? Q4_K : Q5_K;
        } else if (ftype == FileType.Q4_K_M) {
            if (falcon) {
                return i < n / 16 ? Q6_K : useMoreBits(i, n) ? Q5_K : Q4_K;
            }
            return useMoreBits(i, n) ? Q6_K : type;
        } else if (i < n / 8 && is(FileType.IQ4_NL, FileType.IQ4_XS) && !hasImatrix) {
            return Q5_K;
        } else if (ftype == FileType.Q5_K_M && useMoreBits(i, n)) {
            return Q6_K;
        } else if (ftype == FileType.Q4_K_S && !falcon && i < n / 8) {
            return Q5_K;
        } else if (is(FileType.Q4_0, FileType.Q5_0) && hasImatrix && i < n / 8) {
            return ftype == FileType.Q4_0 ? Q4_1 : Q5_1;
        }
        return type;
    }

    /** llama.cpp's {@code tensor_requires_imatrix}. */
    boolean requiresImatrix(String name, GgmlType to) {
        if (name.equals("token_embd.weight") || name.equals("per_layer_token_embd.weight")
                || name.equals("output.weight")) {
            return false;
        }
        return switch (to) {
            case IQ3_XXS, IQ2_XXS, IQ2_XS, IQ2_S, IQ1_M, IQ1_S -> true;
            case Q2_K -> ftype == FileType.Q2_K_S;
            default -> false;
        };
    }
}
