package io.github.ggml4j.tokenizer;

import io.github.ggml4j.GgufFormatException;
import io.github.ggml4j.TokenizerException;
import io.github.ggml4j.gguf.GgufArray;
import io.github.ggml4j.gguf.GgufMetadata;
import io.github.ggml4j.gguf.GgufValueType;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.IntFunction;

/**
 * Reads a {@link Vocabulary} from GGUF metadata ({@code tokenizer.ggml.*}), checking each key's type as
 * llama.cpp's loader does: tokens and merges are arrays of strings, scores arrays of f32 or i32, token types
 * arrays of i32, flags booleans, special ids integers. Anything else is a {@link TokenizerException}.
 */
final class GgufVocabulary {

    private static final String P = "tokenizer.ggml.";

    private GgufVocabulary() {
    }

    static Vocabulary read(GgufMetadata md) {
        try {
            return readChecked(md);
        } catch (GgufFormatException e) {
            throw new TokenizerException("malformed vocabulary: " + e.getMessage(), e);
        }
    }

    private static Vocabulary readChecked(GgufMetadata md) {
        String model = string(md, P + "model")
                .orElseThrow(() -> new TokenizerException("no tokenizer in this file (" + P + "model is missing)"));
        List<String> tokens = strings(md, P + "tokens")
                .orElseThrow(() -> new TokenizerException("no vocabulary in this file (" + P + "tokens is missing)"));
        Vocabulary.Builder b = Vocabulary.builder(model, tokens);
        string(md, P + "pre").ifPresent(b::preTokenizer);
        string(md, "general.name").ifPresent(b::modelName);
        string(md, "general.architecture").ifPresent(b::architecture);

        array(md, P + "scores").ifPresent(a -> {
            if (a.elementType() == GgufValueType.FLOAT32) {
                b.scores(a.toFloatArray());
            } else if (a.elementType() == GgufValueType.INT32) {
                int[] ints = a.toIntArray();
                float[] f = new float[ints.length];
                for (int i = 0; i < ints.length; i++) {
                    f[i] = ints[i];
                }
                b.scores(f);
            } else {
                throw wrongType(P + "scores", "an array of f32 or i32", a);
            }
        });
        array(md, P + "token_type").ifPresent(a -> {
            if (a.elementType() != GgufValueType.INT32) {
                throw wrongType(P + "token_type", "an array of i32", a);
            }
            b.tokenTypeCodes(a.toIntArray());
        });
        Optional<List<String>> merges = strings(md, P + "merges");
        if (TokenizerModel.fromGgufName(model) == TokenizerModel.BPE && merges.isEmpty()) {
            throw new TokenizerException("BPE vocabulary without merges (" + P + "merges is missing)");
        }
        merges.ifPresent(b::merges);

        id(md, tokens.size(), "bos_token_id", b::bos);
        id(md, tokens.size(), "eos_token_id", b::eos);
        id(md, tokens.size(), "eot_token_id", b::eot);
        id(md, tokens.size(), "eom_token_id", b::eom);
        id(md, tokens.size(), "unknown_token_id", b::unk);
        id(md, tokens.size(), "seperator_token_id", b::sep); // sic, the key llama.cpp writes
        id(md, tokens.size(), "padding_token_id", b::pad);
        id(md, tokens.size(), "mask_token_id", b::mask);
        id(md, tokens.size(), "fim_pre_token_id", b::fimPre);
        id(md, tokens.size(), "fim_suf_token_id", b::fimSuf);
        id(md, tokens.size(), "fim_mid_token_id", b::fimMid);
        id(md, tokens.size(), "fim_pad_token_id", b::fimPad);
        id(md, tokens.size(), "fim_rep_token_id", b::fimRep);
        id(md, tokens.size(), "fim_sep_token_id", b::fimSep);
        // llama.cpp reads the deprecated names last, so they win
        id(md, tokens.size(), "prefix_token_id", b::fimPre);
        id(md, tokens.size(), "suffix_token_id", b::fimSuf);
        id(md, tokens.size(), "middle_token_id", b::fimMid);

        bool(md, P + "add_bos_token").ifPresent(b::addBos);
        bool(md, P + "add_eos_token").ifPresent(b::addEos);
        bool(md, P + "add_space_prefix").ifPresent(b::addSpacePrefix);
        bool(md, P + "remove_extra_whitespaces").ifPresent(b::removeExtraWhitespaces);
        array(md, P + "precompiled_charsmap").ifPresent(a -> {
            if (a.elementType() != GgufValueType.UINT8 && a.elementType() != GgufValueType.INT8) {
                throw wrongType(P + "precompiled_charsmap", "an array of u8 or i8", a);
            }
            long[] v = a.toLongArray();
            byte[] bytes = new byte[v.length];
            for (int i = 0; i < v.length; i++) {
                bytes[i] = (byte) v[i];
            }
            b.precompiledCharsmap(bytes);
        });
        bool(md, P + "normalizer.lowercase").ifPresent(b::lowercase);
        bool(md, P + "normalizer.strip_accents").ifPresent(b::stripAccents);
        return b.build();
    }

    private static Optional<String> string(GgufMetadata md, String key) {
        Optional<GgufValueType> t = md.type(key);
        if (t.isEmpty()) {
            return Optional.empty();
        }
        if (t.get() != GgufValueType.STRING) {
            throw new TokenizerException("invalid GGUF type for " + key + ": " + t.get().shortName() + ", expected str");
        }
        return md.optString(key);
    }

    private static Optional<GgufArray> array(GgufMetadata md, String key) {
        Optional<GgufValueType> t = md.type(key);
        if (t.isEmpty()) {
            return Optional.empty();
        }
        if (t.get() != GgufValueType.ARRAY) {
            throw new TokenizerException("invalid GGUF type for " + key + ": " + t.get().shortName() + ", expected an array");
        }
        return md.optArray(key);
    }

    private static Optional<List<String>> strings(GgufMetadata md, String key) {
        Optional<GgufArray> a = array(md, key);
        if (a.isPresent() && a.get().elementType() != GgufValueType.STRING) {
            throw wrongType(key, "an array of str", a.get());
        }
        return a.map(GgufArray::toStringList);
    }

    private static Optional<Boolean> bool(GgufMetadata md, String key) {
        Optional<GgufValueType> t = md.type(key);
        if (t.isPresent() && t.get() != GgufValueType.BOOL) {
            throw new TokenizerException("invalid GGUF type for " + key + ": " + t.get().shortName() + ", expected bool");
        }
        return md.optBool(key);
    }

    private static void id(GgufMetadata md, int vocabSize, String name, IntFunction<Vocabulary.Builder> set) {
        String key = P + name;
        Optional<GgufValueType> t = md.type(key);
        if (t.isEmpty()) {
            return;
        }
        if (!t.get().isInteger()) {
            throw new TokenizerException("invalid GGUF type for " + key + ": " + t.get().shortName() + ", expected u32");
        }
        OptionalLong v = md.optLong(key);
        long id = v.orElseThrow();
        if (id < 0 || id >= vocabSize) {
            throw new TokenizerException(key + " = " + id + " is outside the vocabulary of " + vocabSize + " tokens");
        }
        set.apply((int) id);
    }

    private static TokenizerException wrongType(String key, String expected, GgufArray a) {
        return new TokenizerException("invalid GGUF type for " + key + ": array of " + a.elementType().shortName()
                + ", expected " + expected);
    }
}
