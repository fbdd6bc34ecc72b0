package io.github.ggml4j.tokenizer;

import io.github.ggml4j.TokenizerException;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The BPE pre-tokenizers ggml4j implements, by {@code tokenizer.ggml.pre} name, with the flags llama.cpp
 * attaches to each name. Each family here is checked against llama.cpp: through its test vocabularies, or,
 * for families without one, through llama-tokenize on a test vocabulary relabelled with the family's name.
 * Not here, and refused rather than tokenized differently: those with their own code in llama.cpp
 * (kimi-k2, afmoe, tiny_aya), patterns Java's regex engine would run differently or recursively (tekken,
 * gpt-4o, granite-embed-multi-97m, exaone-moe, superbpe), youtu (which llama.cpp rejects), and jais-2,
 * whose pattern takes quadratic time on long runs of spaces.
 */
enum PreTokenizerType {

    DEFAULT(Stages.DEFAULT, Flag.CLEAN_SPACES, "default", ""),
    LLAMA3(Stages.LLAMA3, Flag.CLEAN_SPACES | Flag.IGNORE_MERGES | Flag.ADD_BOS,
            "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"),
    DBRX(Stages.LLAMA3, Flag.CLEAN_SPACES, "dbrx", "smaug-bpe"),
    CHATGLM4(Stages.LLAMA3, Flag.CLEAN_SPACES | Flag.NO_BOS, "glm4", "chatglm-bpe"),
    DEEPSEEK_LLM(Stages.DEEPSEEK_LLM, 0, "deepseek-llm"),
    DEEPSEEK_CODER(Stages.DEEPSEEK_CODER, 0, "deepseek-coder"),
    FALCON(Stages.FALCON, Flag.CLEAN_SPACES, "falcon"),
    STARCODER(Stages.STARCODER, Flag.CLEAN_SPACES, "starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2"),
    STARCODER_RAW_SPACES(Stages.STARCODER, 0, "command-r", "smollm"),
    GPT2(Stages.GPT2, Flag.CLEAN_SPACES,
            "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
            "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais", "exaone4"),
    GPT2_RAW_SPACES(Stages.GPT2, 0, "trillion", "granite-docling"),
    QWEN2(Stages.QWEN2, 0, "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "solar-open", "grok-2"),
    QWEN2_CLEAN_SPACES(Stages.QWEN2, Flag.CLEAN_SPACES, "stablelm2", "megrez"),
    QWEN35(Stages.QWEN35, 0, "qwen35"),
    LAGUNA(Stages.LAGUNA, 0, "laguna"),
    DEEPSEEK3_LLM(Stages.DEEPSEEK3_LLM, 0, "deepseek-v3", "hunyuan-dense", "joyai-llm", "hy_v4"),
    SPARK2_5(Stages.SPARK2_5, 0, "spark2_5"),
    PORO(Stages.PORO, 0, "poro-chat"),
    BLOOM(Stages.PORO, Flag.CLEAN_SPACES, "bloom", "gpt3-finnish"),
    VIKING(Stages.VIKING, 0, "viking"),
    CHAMELEON(Stages.CHAMELEON, Flag.ADD_BOS, "chameleon"),
    BAILINGMOE(Stages.BAILINGMOE, 0, "bailingmoe", "bailingmoe2", "llada-moe"),
    SEED_CODER(Stages.SEED_CODER, 0, "seed-coder"),
    UFAKZEKA(Stages.UFAKZEKA, 0, "ufakzeka"),
    MINICPM5(Stages.MINICPM5, Flag.CLEAN_SPACES | Flag.IGNORE_MERGES, "minicpm5"),
    GEMMA4(Stages.NEWLINES, Flag.CLEAN_SPACES | Flag.ESCAPE_WHITESPACE | Flag.RAW_UTF8 | Flag.FORCE_BOS,
            "gemma4", "granite-embed-multi-311m");

    private static final Map<String, PreTokenizerType> BY_NAME = new HashMap<>();

    static {
        for (PreTokenizerType t : values()) {
            for (String name : t.names) {
                BY_NAME.put(name, t);
            }
        }
    }

    private final List<Splitter> stages;
    private final int flags;
    private final String[] names;

    PreTokenizerType(List<Splitter> stages, int flags, String... names) {
        this.stages = stages;
        this.flags = flags;
        this.names = names;
    }

    /** @throws TokenizerException for names llama.cpp does not know or ggml4j does not implement */
    static PreTokenizerType forName(String name) {
        PreTokenizerType t = BY_NAME.get(name);
        if (t == null) {
            throw new TokenizerException("unsupported pre-tokenizer '" + name + "'; supported: "
                    + new TreeSet<>(BY_NAME.keySet()));
        }
        return t;
    }

    static Set<String> names() {
        return Collections.unmodifiableSet(new TreeSet<>(BY_NAME.keySet()));
    }

    List<Splitter> stages() {
        return stages;
    }

    boolean cleanSpaces() {
        return (flags & Flag.CLEAN_SPACES) != 0;
    }

    /** A word that is a token as a whole is taken as that token, without merges (Llama 3). */
    boolean ignoreMerges() {
        return (flags & Flag.IGNORE_MERGES) != 0;
    }

    boolean addBosByDefault() {
        return (flags & Flag.ADD_BOS) != 0;
    }

    /** add_bos is forced on whatever the file says (llama.cpp's Gemma 4 workaround). */
    boolean forcesBos() {
        return (flags & Flag.FORCE_BOS) != 0;
    }

    /** The family has no BOS token by default. */
    boolean noBos() {
        return (flags & Flag.NO_BOS) != 0;
    }

    /** Spaces become U+2581 before splitting, as in SentencePiece. */
    boolean escapesWhitespace() {
        return (flags & Flag.ESCAPE_WHITESPACE) != 0;
    }

    /** Merges run on UTF-8 code points instead of GPT-2's byte alphabet; byte fallback is {@code <0xXX>}. */
    boolean rawUtf8() {
        return (flags & Flag.RAW_UTF8) != 0;
    }

    private static final class Flag {
        static final int CLEAN_SPACES = 1;
        static final int IGNORE_MERGES = 2;
        static final int ADD_BOS = 4;
        static final int FORCE_BOS = 8;
        static final int NO_BOS = 16;
        static final int ESCAPE_WHITESPACE = 32;
        static final int RAW_UTF8 = 64;
    }

    /** The pattern lists, as llama.cpp's BPE tokenizer defines them per family. */
    private static final class Stages {
        static final List<Splitter> DEFAULT = List.of(
                new RegexSplitter("[\\p{P}\\$\\+<=>\\^~\\|]+"),
                Gpt2Splitter.INSTANCE,
                new RegexSplitter("\\p{N}+"),
                new RegexSplitter("[0-9][0-9][0-9]"));
        static final List<Splitter> LLAMA3 = List.of(LlamaSplitter.LLAMA3);
        static final List<Splitter> DEEPSEEK_LLM = List.of(
                new RegexSplitter("[\r\n]"),
                new RegexSplitter("\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\uD801\uDC00-\uD801\uDC4F\uD801\uDCB0-\uD801\uDCD3\uD801\uDCD8-\uD801\uDCFB\uD803\uDC80-\uD803\uDCB2\uD803\uDCC0-\uD803\uDCF2\uD806\uDCA0-\uD806\uDCDF\uD83A\uDD00-\uD83A\uDD43]+"),
                new RegexSplitter("\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+"),
                new RegexSplitter("\\s+$"),
                new RegexSplitter("[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+"),
                new RegexSplitter("\\p{N}+"));
        static final List<Splitter> DEEPSEEK_CODER = List.of(
                new RegexSplitter("[\r\n]"),
                new RegexSplitter("\\s?\\p{L}+"),
                new RegexSplitter("\\s?\\p{P}+"),
                new RegexSplitter("[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+"),
                new RegexSplitter("\\p{N}"));
        static final List<Splitter> FALCON = List.of(
                new RegexSplitter("[\\p{P}\\$\\+<=>\\^~\\|`]+"),
                Gpt2Splitter.INSTANCE,
                new RegexSplitter("[0-9][0-9][0-9]"));
        static final List<Splitter> STARCODER = List.of(new RegexSplitter("\\p{N}"), Gpt2Splitter.INSTANCE);
        static final List<Splitter> GPT2 = List.of(Gpt2Splitter.INSTANCE);
        static final List<Splitter> QWEN2 = List.of(LlamaSplitter.QWEN2);
        static final List<Splitter> QWEN35 = List.of(LlamaSplitter.QWEN35);
        static final List<Splitter> NEWLINES = List.of(NewlineSplitter.INSTANCE);
        static final List<Splitter> DEEPSEEK3_LLM = List.of(
                new RegexSplitter("\\p{N}{1,3}"),
                new RegexSplitter("[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+"),
                new RegexSplitter("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"));
        static final List<Splitter> SPARK2_5 = List.of(
                new RegexSplitter("\\p{N}{1,3}"),
                new RegexSplitter("[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+"),
                new RegexSplitter("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+|[\r\n]|\\s+(?!\\S)|\\s+"),
                new RegexSplitter("\\p{N}"));
        static final List<Splitter> PORO = List.of(
                new RegexSplitter(" ?[^(\\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+"));
        static final List<Splitter> VIKING = List.of(
                new RegexSplitter(" ?[^(\\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+"),
                new RegexSplitter("\\p{N}"));
        static final List<Splitter> CHAMELEON = List.of(
                new RegexSplitter("<sentinel:[0-9]+>"),
                new RegexSplitter("(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z"),
                new RegexSplitter("([\\t\\n]|    |  )"),
                new RegexSplitter("\\p{N}"),
                new RegexSplitter("[\\p{P}!-/:-@\\[-`{-~]"),
                Gpt2Splitter.INSTANCE);
        static final List<Splitter> BAILINGMOE = List.of(
                new RegexSplitter("'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"));
        static final List<Splitter> SEED_CODER = List.of(
                new RegexSplitter("(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"));
        static final List<Splitter> UFAKZEKA = List.of(
                new RegexSplitter("[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"));
        static final List<Splitter> MINICPM5 = List.of(
                new RegexSplitter("\\p{N}{1,3}"),
                new RegexSplitter("(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}+| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"));
        static final List<Splitter> LAGUNA = List.of(NewlineSplitter.INSTANCE, LlamaSplitter.QWEN2);
    }
}
